"""Polling with a deadline: tests wait for a condition, never for a fixed time."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

Check = Callable[[], Any | Awaitable[Any]]


async def eventually(check: Check, timeout: float = 30, interval: float = 0.1) -> Any:
    """Call `check` (sync or async) until it passes; return what it returned.

    It passes when it returns a truthy value, or returns None without raising (an assert-style
    check). An AssertionError or a falsy result means "not yet"; after `timeout` seconds the
    last one is raised as an AssertionError. Any other exception fails at once.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            result = check()
            if inspect.isawaitable(result):
                result = await result
        except AssertionError as error:
            last: object = error
        else:
            if result is None or result:
                return result
            last = f"check returned {result!r}"
        if loop.time() >= deadline:
            raise AssertionError(f"not true after {timeout}s: {last}")
        await asyncio.sleep(interval)
