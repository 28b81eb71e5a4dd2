"""SMTP probe with aiosmtplib: the 220 greeting, EHLO, and STARTTLS when the check asks."""

from __future__ import annotations

import contextlib

import aiosmtplib

from libs.catalog.checks_model import Check, MailExpect
from services.monitoring.adapters.probes.base import ProbeFailed, Progress, Seen, tls_context

LOCAL_HOSTNAME = "hotro-monitoring.kbnn.vn"


async def probe(check: Check, progress: Progress) -> Seen:
    host, port = check.host_port()
    expect = check.expect
    assert isinstance(expect, MailExpect)
    context = tls_context(check.ca_file)
    client = aiosmtplib.SMTP(
        hostname=host,
        port=port,
        timeout=check.timeout_s,
        local_hostname=LOCAL_HOSTNAME,
        start_tls=False,
        tls_context=context,
    )
    progress.stage = "waiting for the 220 greeting"
    try:
        greeting = await client.connect()
    except aiosmtplib.SMTPConnectResponseError as error:
        raise ProbeFailed(f"greeting {error.code} {error.message} (expected 220)") from None
    try:
        progress.stage = "EHLO"
        await client.ehlo()
        if expect.starttls:
            if not client.supports_extension("starttls"):
                raise ProbeFailed("the server does not offer STARTTLS")
            progress.stage = "STARTTLS"
            await client.starttls(tls_context=context)
            progress.stage = "EHLO after STARTTLS"
            await client.ehlo()
        return Seen(greeting=f"{greeting.code} {greeting.message}")
    except aiosmtplib.SMTPResponseException as error:
        raise ProbeFailed(f"{progress.stage}: {error.code} {error.message}") from None
    finally:
        with contextlib.suppress(Exception):
            await client.quit(timeout=1)
        client.close()
