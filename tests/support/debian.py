"""Installing a Debian package the tests need (Dovecot, Chromium) on a machine that lacks it.

Parallel test workers may ask at the same moment: a file lock makes them install one at a
time (dpkg allows one writer), and the second finds the package already there.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

_LOCK = Path("/tmp/hotro-apt-install.lock")


def ensure_package(package: str, present: Callable[[], bool], timeout_s: int = 1800) -> None:
    if present():
        return
    if os.geteuid() != 0:
        raise RuntimeError(f"{package} is missing; install it (apt-get install {package})")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with _LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if present():
            return
        wait = ["-o", "DPkg::Lock::Timeout=600"]
        subprocess.run(
            ["apt-get", *wait, "update"], check=True, env=env, capture_output=True, timeout=900
        )
        subprocess.run(
            ["apt-get", *wait, "install", "-y", "--no-install-recommends", package],
            check=True,
            env=env,
            capture_output=True,
            timeout=timeout_s,
        )
