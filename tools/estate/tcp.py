"""Loopback TCP listeners that stop listening while their target is down.

A closed listener makes the checker see what a dead line or a stopped mail server gives it: a
refused connection. Bringing the target back binds the same port again (SO_REUSEADDR, so
connections still in TIME_WAIT do not block it), which is why every listener remembers its
port rather than its socket.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import socket
from collections.abc import Awaitable, Callable

from tools.estate.model import Target

log = logging.getLogger(__name__)

HOST = "127.0.0.1"

Start = Callable[[socket.socket], Awaitable[asyncio.AbstractServer]]


def bind(port: int = 0) -> socket.socket:
    """A loopback socket bound to `port`, or to a port the kernel picks when it is 0 or taken."""
    for candidate in (port, 0) if port else (0,):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, candidate))
        except OSError:
            sock.close()
            continue
        return sock
    raise OSError(f"cannot bind {HOST}:{port}")


def allow_open_files(needed: int) -> None:
    """One socket per WAN channel: lift the soft descriptor limit (often 1,024) towards the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise SystemExit(
            f"the simulated estate needs {needed} open files, the hard limit is {hard}: "
            f"raise it (ulimit -Hn {needed}) or simulate fewer WAN channels"
        )
    if soft != resource.RLIM_INFINITY and soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


class StreamEndpoint:
    """A line-protocol server: `converse` with one client, then hang up whatever happened
    (a checker that vanishes mid-dialogue is normal, not an error)."""

    async def start(self, sock: socket.socket) -> asyncio.AbstractServer:
        return await asyncio.start_server(self._session, sock=sock)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self.converse(reader, writer)
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    async def converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError


class SwitchableServer:
    """One listener of one target: open while the target is up, closed while it is down."""

    def __init__(self, target: str, start: Start, port: int = 0) -> None:
        self.target = target
        self.start_on = start
        self.port = port
        self.server: asyncio.AbstractServer | None = None

    async def open(self, *, same_port: bool = True) -> None:
        """Listen again; at start-up (`same_port=False`) a taken port gives way to a fresh one."""
        if self.server is not None:
            return
        sock = bind(self.port)
        if same_port and self.port and sock.getsockname()[1] != self.port:
            sock.close()
            log.error("port taken, %s stays down", self.target, extra={"port": self.port})
            return
        self.port = sock.getsockname()[1]
        self.server = await self.start_on(sock)

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None

    async def follow(self, target: Target) -> None:
        """The state listener: opens or closes when its own target changes."""
        if target.name != self.target:
            return
        if target.down:
            self.close()
        else:
            await self.open()

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"
