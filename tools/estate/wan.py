"""WAN channel endpoints: one loopback port per channel.

Why a port each rather than 127.x.y.z addresses on one port: a listener bound to 127.0.0.1
does not receive 127.0.0.2, so addresses would still cost one socket per channel and save
nothing but port numbers; they exist only on Linux (macOS and the BSDs configure 127.0.0.1
alone); and the alternative, one wildcard listener, would expose the simulator on every
interface. Ports picked by the kernel never collide with anything, ~1,400 listeners are
~1,400 descriptors in one event loop (tcp.allow_open_files lifts the soft limit), and a
channel taken down is a listener closed: the checker sees a refused connection.

A channel answers one line if the checker sends one (a `query_response` dialogue): `PING` →
`PONG <channel id>`, anything else → `OK <channel id>`; then it hangs up. A plain `tcp` check
of a system (a database listener, say) is answered the same way, by the system's key.
"""

from __future__ import annotations

import asyncio

from tools.estate.model import EstateState
from tools.estate.tcp import StreamEndpoint

IDLE_S = 5.0


class LineEndpoint(StreamEndpoint):
    """A channel's (or a system's plain TCP check's) endpoint; `label` is what it answers."""

    def __init__(self, state: EstateState, target: str, label: str) -> None:
        self.state = state
        self.target = target
        self.label = label

    async def converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        line = await asyncio.wait_for(reader.readline(), timeout=IDLE_S)
        if line.strip():
            await asyncio.sleep(self.state.delay_s(self.target))
            word = "PONG" if line.strip().upper() == b"PING" else "OK"
            writer.write(f"{word} {self.label}\r\n".encode())
            await writer.drain()
