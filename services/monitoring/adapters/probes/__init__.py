"""Probes: one small module per kind, each asking a real server and reporting what it saw.

`run_probe` is the only entry point: it times the probe, bounds it by the check's timeout,
and turns every failure into an `Observation` with a reason — a probe never raises, so one
broken target cannot take the checker down with it.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

import httpx

from libs.catalog.checks_model import Check
from services.monitoring.adapters.probes import http, imap, login, smtp, tcp
from services.monitoring.adapters.probes.base import ProbeFailed, Progress, Seen
from services.monitoring.domain.evaluation import Observation

Clock = Callable[[], datetime]
Probe = Callable[[Check, Progress], Awaitable[Seen]]

PROBES: dict[str, Probe] = {
    "http": http.probe,
    "login": login.probe,
    "tcp": tcp.probe,
    "smtp": smtp.probe,
    "imap": imap.probe,
}


async def run_probe(check: Check, clock: Clock) -> Observation:
    """Probe `check` once; whatever happens, an observation."""
    started_at = clock()
    began = time.perf_counter()
    progress = Progress()
    error: str | None = None
    seen = Seen()
    try:
        async with asyncio.timeout(check.timeout_s):
            seen = await PROBES[check.kind](check, progress)
    except TimeoutError:
        error = f"no answer within {check.timeout_s:g} s ({progress.stage})"
    except ProbeFailed as failed:
        error = failed.reason
    except asyncio.CancelledError:
        raise
    except Exception as failure:  # a probe never raises: every failure is a reason
        error = f"{describe(failure)} ({progress.stage})"
    duration_ms = round((time.perf_counter() - began) * 1000)
    return Observation(
        started_at=started_at,
        duration_ms=duration_ms,
        error=error,
        status=seen.status,
        body=seen.body,
        cert_expires_at=seen.cert_expires_at,
        greeting=seen.greeting,
    )


def describe(error: BaseException) -> str:
    """An operator's words for a network failure."""
    # Libraries wrap the socket's error (aiosmtplib's SMTPConnectError, httpx's ConnectError):
    # the innermost OSError says what really happened.
    chain: list[BaseException] = []
    link: BaseException | None = error
    while link is not None and link not in chain:
        chain.append(link)
        link = link.__cause__ or link.__context__
    cause = next((e for e in reversed(chain) if isinstance(e, OSError)), error)
    if isinstance(cause, ssl.SSLCertVerificationError):
        return f"TLS certificate not valid: {cause.verify_message or cause.reason}"
    if isinstance(cause, ssl.SSLError):
        return f"TLS failed: {cause.reason or cause}"
    if isinstance(cause, socket.gaierror):
        return "cannot resolve the host name"
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused"
    if isinstance(cause, ConnectionResetError):
        return "connection reset by the server"
    if isinstance(error, httpx.RemoteProtocolError):
        return f"the server broke the HTTP protocol: {error}"
    if isinstance(cause, OSError):
        return cause.strerror or str(cause) or type(cause).__name__
    return str(error) or type(error).__name__
