"""The control port: the running estate's state, changed by the CLI (`python -m tools.estate`).

The port is written to `<state>/estate/control.json` once everything listens, with the pid
of the estate, so a client (and `make run`) knows both where to talk and that it is ready.
Errors use the suite's shape: `{"error": …, "detail": [{"field": …, "msg": …}]}`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tools.estate.model import EstateState, UnknownTarget

ROOT = Path(__file__).resolve().parents[2]
MAX_DELAY_MS = 600_000


def state_dir() -> Path:
    """`HOTRO_STATE_DIR`, else the repository's `.hotro/` (where `make run` keeps its state)."""
    return Path(os.environ.get("HOTRO_STATE_DIR") or ROOT / ".hotro")


def estate_dir(state: Path | None = None) -> Path:
    return (state or state_dir()) / "estate"


def _error(status: int, error: str, field: str, msg: str) -> JSONResponse:
    return JSONResponse({"error": error, "detail": [{"field": field, "msg": msg}]}, status)


def control_app(state: EstateState, addresses: dict[str, str]) -> Starlette:
    """`addresses`: target name → where it listens, shown by `status`."""

    def listing(targets: list[Any]) -> list[dict[str, object]]:
        return [{**t.public(), "address": addresses.get(t.name, "")} for t in targets]

    async def status(request: Request) -> JSONResponse:
        return JSONResponse({"targets": listing(list(state.targets.values()))})

    async def change(request: Request) -> JSONResponse:
        name, action = request.path_params["name"], request.path_params["action"]
        delay_ms: int | None = None
        if action == "slow":
            body = await request.json() if await request.body() else {}
            delay_ms = body.get("delay_ms") if isinstance(body, dict) else None
            if not isinstance(delay_ms, int) or not 0 <= delay_ms <= MAX_DELAY_MS:
                return _error(
                    422, "invalid request", "delay_ms", f"an integer from 0 to {MAX_DELAY_MS}"
                )
        elif action not in ("down", "up"):
            return _error(404, "unknown action", "action", "one of down, up, slow")
        down = {"down": True, "up": False}.get(action)
        try:
            changed = await state.change(name, down=down, delay_ms=delay_ms)
        except UnknownTarget:
            return _error(
                404, "unknown target", "name", f"{name!r} is no system, application or channel"
            )
        if action == "up":  # up means healthy: the delay goes too
            changed = await state.change(name, delay_ms=0)
        return JSONResponse({"targets": listing(changed)})

    return Starlette(
        routes=[
            Route("/status", status),
            Route("/targets/{name}/{action}", change, methods=["POST"]),
        ]
    )


def write_control_file(folder: Path, port: int) -> Path:
    path = folder / "control.json"
    partial = folder / ".control.json.partial"
    partial.write_text(json.dumps({"port": port, "pid": os.getpid()}))
    os.replace(partial, path)
    return path


class NotRunning(RuntimeError):
    pass


def client(folder: Path | None = None) -> httpx.Client:
    """An HTTP client of the running estate's control port."""
    path = (folder or estate_dir()) / "control.json"
    try:
        info = json.loads(path.read_text())
    except (OSError, ValueError):
        raise NotRunning(
            f"no simulated estate is running ({path} is missing): "
            "start it with `make run` or `python -m tools.estate serve`"
        ) from None
    return httpx.Client(base_url=f"http://127.0.0.1:{info['port']}", timeout=10)
