"""Refusals name tickets by number (issue 13): people know `YC-2026-000123`, not a UUID.

The services behind the gateway know tickets by id; the gateway, which holds the numbers,
rewrites the ids in a refusal's messages before passing it on.
"""

from __future__ import annotations

import re

import orjson
from fastapi.responses import JSONResponse

from services.intake.adapters.ticket_view import TicketQueries

_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")


async def numbered(queries: TicketQueries, answer: JSONResponse) -> JSONResponse:
    """`answer` with every ticket id in its `detail` messages replaced by the ticket's number."""
    if answer.status_code < 400:
        return answer
    payload = orjson.loads(answer.body)
    detail = payload.get("detail") if isinstance(payload, dict) else None
    if not isinstance(detail, list):
        return answer
    ids = {
        m
        for entry in detail
        if isinstance(entry, dict)
        for m in _UUID.findall(str(entry.get("msg", "")))
    }
    numbers = await queries.numbers_of(ids)
    if not numbers:
        return answer
    for entry in detail:
        if isinstance(entry, dict) and "msg" in entry:
            entry["msg"] = _UUID.sub(
                lambda m: numbers.get(m.group(0), m.group(0)), str(entry["msg"])
            )
    return JSONResponse(payload, status_code=answer.status_code)
