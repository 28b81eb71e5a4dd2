"""TCP probe: connect, then an optional dialogue (blackbox_exporter's `query_response`):
wait until what the server sent matches `expect`, write `send` followed by CRLF."""

from __future__ import annotations

import asyncio
import contextlib

from libs.catalog.checks_model import Check, TcpExpect
from services.monitoring.adapters.probes.base import ProbeFailed, Progress, Seen
from services.monitoring.domain.evaluation import dialogue_matched

#: What a dialogue may read before it gives up on a match.
RECEIVE_LIMIT = 65_536


async def probe(check: Check, progress: Progress) -> Seen:
    host, port = check.host_port()
    progress.stage = f"connecting to {host}:{port}"
    reader, writer = await asyncio.open_connection(host, port)
    try:
        expect = check.expect
        assert isinstance(expect, TcpExpect)
        received = ""
        for exchange in expect.query_response:
            if exchange.expect is not None:
                progress.stage = f"waiting for /{exchange.expect}/"
                while not dialogue_matched(exchange.expect, received):
                    chunk = await reader.read(4096)
                    if not chunk:
                        raise ProbeFailed(
                            f"the server closed the connection before /{exchange.expect}/"
                            f" (got {received[-120:]!r})"
                        )
                    received += chunk.decode("utf-8", errors="replace")
                    if len(received) > RECEIVE_LIMIT:
                        raise ProbeFailed(f"no /{exchange.expect}/ in the first 64 KB")
            if exchange.send is not None:
                progress.stage = f"sending {exchange.send!r}"
                writer.write(exchange.send.encode() + b"\r\n")
                await writer.drain()
        return Seen(greeting=received[:500])
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer.wait_closed(), 1)
