"""A start-up that never finishes ends the process, so the supervisor starts it again.

Start-up runs DDL, opens pools and trains models; when PostgreSQL restarts in the middle of
it, a step can wait on a connection that will never answer (seen under chaos: reporting
restarted two seconds before PostgreSQL did and served nothing, forever, with no error).
A live process that never becomes ready is worse than a dead one: nothing restarts it.
A thread, not a task, so a start-up blocked in synchronous code is caught too.
"""

from __future__ import annotations

import logging
import os
import threading

from libs.platform.settings import positive_seconds

log = logging.getLogger(__name__)

#: The exit status of a start-up given up on (EX_SOFTWARE): the supervisor restarts it.
GAVE_UP = 70
DEFAULT_TIMEOUT_S = 180.0


def startup_timeout_s() -> float:
    return positive_seconds("HOTRO_STARTUP_TIMEOUT_S", DEFAULT_TIMEOUT_S)


class StartupWatchdog:
    def __init__(self, service: str, timeout_s: float) -> None:
        self.service = service
        self.timeout_s = timeout_s
        self._timer = threading.Timer(timeout_s, self._give_up)
        self._timer.daemon = True

    def start(self) -> StartupWatchdog:
        self._timer.start()
        return self

    def passed(self) -> None:
        """Start-up is done: the watchdog stands down."""
        self._timer.cancel()

    def _give_up(self) -> None:
        log.error(
            "start-up did not finish in time; exiting so the supervisor starts it again",
            extra={"service": self.service, "timeout_s": self.timeout_s},
        )
        for handler in logging.getLogger().handlers:
            handler.flush()
        os._exit(GAVE_UP)
