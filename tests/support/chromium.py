"""Headless Chromium for the browser tests: Debian's `chromium` package, installed when missing
(CI machines are fresh and run as root), as tests/support/dovecot.py installs Dovecot.

Playwright drives it through `executable_path`: its own browser builds are never downloaded
(`PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1`), and the browser is told not to reach out on its own
(no background networking, no component updates), so a test can prove the pages ask for
nothing beyond the loopback server they came from.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.support.debian import ensure_package

CHROMIUM = "/usr/bin/chromium"
#: Flags for a root user in a container without a GPU, and a browser that stays quiet.
LAUNCH_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--metrics-recording-only",
)


def ensure_chromium_installed() -> str:
    """The browser's path, after `apt-get install chromium` if it is not there yet."""
    os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"
    ensure_package("chromium", lambda: Path(CHROMIUM).exists())
    return CHROMIUM
