"""A start-up that hangs ends its process; one that finishes is left alone."""

from __future__ import annotations

import subprocess
import sys

import pytest

from libs.platform.settings import SettingError
from libs.platform.watchdog import GAVE_UP, startup_timeout_s
from tools.suite import ROOT

_PROGRAM = """
import time
from libs.platform.watchdog import StartupWatchdog
watchdog = StartupWatchdog("demo", 0.3).start()
if {finish}:
    watchdog.passed()
time.sleep(1.5)
print("still here")
"""


def _run(finish: bool) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _PROGRAM.format(finish=finish)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_a_start_up_that_hangs_exits_for_the_supervisor_to_restart() -> None:
    hung = _run(finish=False)

    assert hung.returncode == GAVE_UP
    assert "still here" not in hung.stdout


def test_a_finished_start_up_is_left_alone() -> None:
    done = _run(finish=True)

    assert done.returncode == 0 and "still here" in done.stdout


def test_the_timeout_setting_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTRO_STARTUP_TIMEOUT_S", "soon")
    with pytest.raises(SettingError, match="HOTRO_STARTUP_TIMEOUT_S"):
        startup_timeout_s()
    monkeypatch.setenv("HOTRO_STARTUP_TIMEOUT_S", "0")
    with pytest.raises(SettingError, match="positive"):
        startup_timeout_s()
    monkeypatch.setenv("HOTRO_STARTUP_TIMEOUT_S", "45")
    assert startup_timeout_s() == 45.0
