"""Telling a group lead at once that a morning login failed: mail, and a webhook for phones.

SPEC §5 says the lead is "phoned/notified at once". Mail always goes (through the relay or
the .eml sink, once per run and check); when `HOTRO_NOTIFY_WEBHOOK_URL` is set the same alert
is POSTed there as JSON, so an SMS or voice gateway can be plugged in without code. The
webhook is tried a few times with back-off in a task of its own: a slow or broken gateway
never holds the round back, and a failure is logged and counted, not raised.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

import httpx
from prometheus_client import Counter

log = logging.getLogger(__name__)

NOTIFICATIONS = Counter(
    "hotro_readiness_notifications_total",
    "Failed-login alerts of the morning round, by channel and outcome",
    ["channel", "outcome"],
)


class WebhookNotifier:
    def __init__(
        self,
        url: str | None,
        token: str | None = None,
        attempts: int = 4,
        backoff_s: float = 1.0,
        timeout_s: float = 5.0,
    ) -> None:
        self.url = url
        self.token = token
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s

    async def post(self, payload: dict[str, Any]) -> bool:
        """POST `payload`; True once the gateway answered 2xx, False after the last attempt."""
        if self.url is None:
            return False
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        async with httpx.AsyncClient(timeout=self.timeout_s) as client:
            for attempt in range(1, self.attempts + 1):
                try:
                    response = await client.post(self.url, json=payload, headers=headers)
                    if response.is_success:
                        NOTIFICATIONS.labels("webhook", "sent").inc()
                        return True
                    problem = f"HTTP {response.status_code}"
                except httpx.HTTPError as error:
                    problem = repr(error)
                log.warning(
                    "notify webhook failed",
                    extra={
                        "attempt": attempt,
                        "problem": problem,
                        "check_id": payload.get("check_id"),
                    },
                )
                if attempt < self.attempts:
                    await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1))
        NOTIFICATIONS.labels("webhook", "failed").inc()
        return False


class Background:
    """Tasks the round starts and does not wait for (kept referenced until they finish)."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()

    def start(self, work: Awaitable[Any], name: str) -> asyncio.Task[Any]:
        async def guarded() -> Any:
            try:
                return await work
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background notification failed", extra={"task": name})
                return None

        task = asyncio.create_task(guarded(), name=name)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def drain(self, timeout_s: float | None = None) -> None:
        """Wait for the tasks; after `timeout_s` (shutting down) cancel what is left: a cut-off
        run is resumed at the next start, and every mail carries its dedupe key."""
        if not self.tasks:
            return
        _, pending = await asyncio.wait(set(self.tasks), timeout=timeout_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
