"""IMAP probe over asyncio streams: the `* OK` greeting, CAPABILITY, and STARTTLS when the
check asks (the ssl module does the TLS, upgraded in place by `StreamWriter.start_tls`)."""

from __future__ import annotations

import asyncio
import contextlib

from libs.catalog.checks_model import Check, MailExpect
from services.monitoring.adapters.probes.base import ProbeFailed, Progress, Seen, tls_context

LINE_LIMIT = 64


async def _command(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, tag: str, command: str
) -> list[str]:
    """Send one tagged command; the untagged lines of its answer (NO/BAD fail)."""
    writer.write(f"{tag} {command}\r\n".encode())
    await writer.drain()
    lines: list[str] = []
    for _ in range(LINE_LIMIT):
        raw = await reader.readline()
        if not raw:
            raise ProbeFailed(f"the server closed the connection after {command}")
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if line.startswith(f"{tag} "):
            status = line[len(tag) + 1 :]
            if not status.upper().startswith("OK"):
                raise ProbeFailed(f"{command}: {status}")
            return lines
        lines.append(line)
    raise ProbeFailed(f"{command}: no tagged answer in {LINE_LIMIT} lines")


def _capabilities(greeting: str, lines: list[str]) -> set[str]:
    words = " ".join([greeting, *lines]).replace("[", " ").replace("]", " ").upper().split()
    return set(words)


async def probe(check: Check, progress: Progress) -> Seen:
    host, port = check.host_port()
    expect = check.expect
    assert isinstance(expect, MailExpect)
    progress.stage = f"connecting to {host}:{port}"
    reader, writer = await asyncio.open_connection(host, port)
    try:
        progress.stage = "waiting for the * OK greeting"
        greeting = (await reader.readline()).decode("utf-8", errors="replace").rstrip("\r\n")
        if not greeting.upper().startswith(("* OK", "* PREAUTH")):
            raise ProbeFailed(f"greeting {greeting[:120]!r} (expected * OK)")
        progress.stage = "CAPABILITY"
        capabilities = _capabilities("", await _command(reader, writer, "h1", "CAPABILITY"))
        if expect.starttls:
            if "STARTTLS" not in capabilities:
                raise ProbeFailed("the server does not offer STARTTLS")
            progress.stage = "STARTTLS"
            await _command(reader, writer, "h2", "STARTTLS")
            await writer.start_tls(tls_context(check.ca_file), server_hostname=host)
            progress.stage = "CAPABILITY after STARTTLS"
            await _command(reader, writer, "h3", "CAPABILITY")
        with contextlib.suppress(Exception):
            await asyncio.wait_for(_command(reader, writer, "h9", "LOGOUT"), 1)
        return Seen(greeting=greeting)
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer.wait_closed(), 1)
