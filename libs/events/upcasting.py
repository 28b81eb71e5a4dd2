"""Upcasters: old event versions are lifted to the current contract on read, never rewritten."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class UpcasterRegistry:
    """Chains `old type → new type` steps until the newest known version is reached."""

    def __init__(self) -> None:
        self._steps: dict[str, tuple[str, Upcaster]] = {}

    def register(self, old_type: str, new_type: str, step: Upcaster) -> None:
        if old_type in self._steps:
            raise ValueError(f"an upcaster from {old_type} is already registered")
        self._steps[old_type] = (new_type, step)

    def upcast(self, event_type: str, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        seen: set[str] = set()
        while event_type in self._steps:
            if event_type in seen:
                raise ValueError(f"upcaster cycle at {event_type}")
            seen.add(event_type)
            event_type, step = self._steps[event_type]
            data = step(dict(data))
        return event_type, data


#: The registry every consumer uses; schema changes register their steps here.
UPCASTERS = UpcasterRegistry()
