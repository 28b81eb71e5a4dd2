"""One instance per state folder: the lock `make run` holds, and backup/restore respect."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO


def take_state_lock(state: Path) -> IO[str] | None:
    """The folder's lock with our pid in it, or None while another process holds it."""
    state.mkdir(parents=True, exist_ok=True)
    handle = (state / "run.lock").open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def lock_holder(state: Path) -> str:
    path = state / "run.lock"
    return (path.read_text().strip() if path.exists() else "") or "?"
