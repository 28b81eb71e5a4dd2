"""Issue 17: mutated real-world mail through the three channels of the running suite.

The samples are those of tests/support/mail_mutations.py (seeded: a failure names its index),
each path its own range: HTTP gets a concurrent batch, SMTP and IMAP a few hundred each (what
they add is framing; the parsing and deciding behind them is the same code, fuzzed in bulk
in-process by tests/unit/intake/test_mail_mutated_corpus.py). Afterwards the stores are read
back through the admin's API: every message delivered is in the inbox with one of the five
outcomes (ticket, comment, held, ignored, dead letter), each ticket and comment it names exists,
and no message became a dead letter because intake itself failed on it.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import smtplib
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx
import pytest
from imapclient import IMAPClient

from libs.platform.eventstore import derived_id
from services.intake.domain.inbound_mail import OUTCOMES, mail_key
from services.intake.domain.mail import UnparseableMail, parse_mail
from services.intake.service_layer.mail_intake import INTAKE_FAILURE
from tests.support.dovecot import ImapServer, dovecot_server
from tests.support.mail import admin
from tests.support.mail_mutations import DEFAULT_SEED, index_range, mutated_message
from tests.support.tickets import wait_until
from tools.suite import Suite

HTTP_CONCURRENCY = 8
#: Two tests of 1,000 messages each: each well inside the per-test timeout on a busy machine.
HTTP_BATCHES = 2
SMTP_CONNECTIONS = 4
DONE = "Hotro-Processed"


@pytest.fixture(scope="module")
def imap_server() -> Iterator[ImapServer]:
    with dovecot_server() as server:
        yield server


@pytest.fixture(scope="module")
def suite_env(imap_server: ImapServer) -> dict[str, str]:
    # The fuzz is not about the per-sender SMTP rate limit (tested on its own): off.
    return {
        "HOTRO_IMAP_URL": imap_server.url,
        "HOTRO_IMAP_POLL_S": "0.5",
        "HOTRO_RATE_SMTP_SENDER": "0",
    }


@dataclass(frozen=True)
class Delivered:
    index: int
    mail_id: str
    #: What the channel answered ("" when it does not say: IMAP), and the reason if it says.
    outcome: str
    reason: str


def expected_mail_id(raw: bytes) -> str:
    """The id intake stores a message under (take_in: Message-ID, else the bytes' hash)."""
    try:
        message_id = parse_mail(raw).message_id
    except UnparseableMail:
        message_id = None
    return str(derived_id("mail", mail_key(message_id, hashlib.sha256(raw).hexdigest())))


@pytest.mark.parametrize("batch", range(HTTP_BATCHES))
def test_mutated_mail_over_http_ends_in_one_outcome_each_and_no_5xx(
    suite: Suite, batch: int
) -> None:
    indices = list(index_range("http"))[batch::HTTP_BATCHES]
    delivered, refused = asyncio.run(_over_http(suite, indices))
    # Only a body that is not a message at all (empty after the damage) may be refused.
    assert all(not mutated_message(DEFAULT_SEED, i).strip() for i in refused), refused
    assert len(delivered) + len(refused) == len(indices)
    outcomes = _check_stores(suite, delivered)
    assert {"ticket", "ignored", "dead_letter"} <= set(outcomes), outcomes
    # Replies found their ticket: a comment from its conversation, or held from an outsider.
    assert {"comment", "held"} & set(outcomes), outcomes
    print(f"\nHTTP: {len(delivered)} delivered, {len(refused)} empty bodies refused: {outcomes}")


def test_mutated_mail_over_smtp_is_answered_250_and_stored(suite: Suite) -> None:
    indices = list(index_range("smtp"))
    shares = [indices[i::SMTP_CONNECTIONS] for i in range(SMTP_CONNECTIONS)]
    with ThreadPoolExecutor(SMTP_CONNECTIONS) as pool:
        delivered = [d for share in pool.map(partial(_over_smtp, suite), shares) for d in share]
    assert len(delivered) == len(indices)
    outcomes = _check_stores(suite, delivered)
    print(f"\nSMTP: {len(delivered)} answered 250: {outcomes}")


def test_mutated_mail_in_an_imap_mailbox_is_all_taken_in(
    suite: Suite, imap_server: ImapServer
) -> None:
    client = _imap(imap_server)
    appended, refused = 0, []
    for index in index_range("imap"):
        try:
            client.append("INBOX", mutated_message(DEFAULT_SEED, index))
            appended += 1
        except IMAPClient.Error as error:  # the mailbox cannot hold it: never ours to take
            refused.append((index, str(error)[:80]))
    client.logout()
    assert appended >= len(index_range("imap")) * 0.9, refused
    wait_until(lambda: _count(imap_server, "INBOX") == 0, 240, "the poller to empty the inbox")
    taken = _fetch_all(imap_server, DONE)
    assert len(taken) == appended  # each message moved away only once it was stored
    delivered = [Delivered(-1, expected_mail_id(raw), "", "") for raw in taken]
    outcomes = _check_stores(suite, delivered)
    print(f"\nIMAP: {appended} appended, {len(refused)} refused by Dovecot: {outcomes}")


# --- delivering ---------------------------------------------------------------------------


async def _over_http(suite: Suite, indices: list[int]) -> tuple[list[Delivered], list[int]]:
    delivered: list[Delivered] = []
    refused: list[int] = []
    gate = asyncio.Semaphore(HTTP_CONCURRENCY)
    headers = {**admin(suite), "Content-Type": "message/rfc822"}
    async with httpx.AsyncClient(base_url=suite.url("intake"), timeout=120) as client:

        async def one(index: int) -> None:
            async with gate:
                response = await client.post(
                    "/api/v1/inbound/email",
                    content=mutated_message(DEFAULT_SEED, index),
                    headers=headers,
                )
            assert response.status_code < 500, (index, response.status_code, response.text)
            if response.status_code == 422:
                refused.append(index)
                return
            assert response.status_code == 202, (index, response.status_code, response.text)
            body = response.json()
            delivered.append(Delivered(index, body["mail_id"], body["outcome"], body["reason"]))

        await asyncio.gather(*(one(i) for i in indices))
    return delivered, refused


def _over_smtp(suite: Suite, indices: list[int]) -> list[Delivered]:
    """One SMTP session delivering `indices`; every message must be answered 250."""
    delivered: list[Delivered] = []
    with smtplib.SMTP("127.0.0.1", suite.ports["smtp"], timeout=120) as smtp:
        smtp.ehlo()
        for index in indices:
            wire = as_smtp_client_sends(mutated_message(DEFAULT_SEED, index))
            smtp.mail(f"fuzz-{index}@example.vn")
            smtp.rcpt("hotrocntt@kbnn.gov.vn")
            code, reply = smtp.data(wire)
            assert code == 250, (index, code, reply)
            stored = wire if wire.endswith(b"\r\n") else wire + b"\r\n"  # smtplib ends the data
            outcome = reply.decode().split()[1]
            delivered.append(Delivered(index, expected_mail_id(stored), outcome, ""))
    return delivered


def as_smtp_client_sends(raw: bytes) -> bytes:
    """SMTP carries CRLF lines of at most 1000 octets (RFC 5321 §2.3.8, §4.5.3.1.6), so a
    client or relaying MTA ends lines with CRLF and breaks longer ones, as Postfix does."""
    lines = re.sub(rb"(?<!\r)\n", b"\r\n", raw).split(b"\r\n")
    return b"\r\n".join(line[i : i + 998] for line in lines for i in range(0, len(line) or 1, 998))


def _imap(server: ImapServer) -> IMAPClient:
    client = IMAPClient(server.host, port=server.port, ssl=False, timeout=60)
    client.login(server.user, server.password)
    return client


def _count(server: ImapServer, folder: str) -> int:
    client = _imap(server)
    try:
        return int(client.select_folder(folder, readonly=True)[b"EXISTS"])
    finally:
        client.logout()


def _fetch_all(server: ImapServer, folder: str) -> list[bytes]:
    client = _imap(server)
    try:
        client.select_folder(folder, readonly=True)
        uids = client.search(["ALL"])
        fetched = client.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
        return [bytes(fetched[uid][b"BODY[]"]) for uid in uids]
    finally:
        client.logout()


# --- checking the stores ------------------------------------------------------------------


def _check_stores(suite: Suite, delivered: list[Delivered]) -> Counter[str]:
    """Every delivered message is in the inbox with a valid outcome, and its ticket exists."""
    wanted = {d.mail_id for d in delivered}
    rows = wait_until(
        lambda: (found := _inbox(suite)) and wanted <= found.keys() and found,
        120,
        "every delivered message in the inbox",
    )
    tickets = _ticket_ids(suite)
    for d in delivered:
        row = rows[d.mail_id]
        assert row["outcome"] in OUTCOMES, (d, row)
        assert row["reason"] and not row["reason"].startswith(INTAKE_FAILURE), (d, row)
        # An "ignored" copy of a message taken in before has the first copy's row.
        copy = d.outcome == "ignored" and (not d.reason or d.reason.startswith("already taken in"))
        if d.outcome and not copy:
            assert row["outcome"] == d.outcome, (d, row)
        if row["outcome"] in ("ticket", "comment", "held"):
            assert row["ticket_id"] in tickets, (d, row)
    # Nothing the messages led to failed further on: no intake bug, no consumer dead letter
    # (an acknowledgement that could not be written, a projection that refused a value).
    for log in suite.log_dir.glob("*.log"):
        text = log.read_text(errors="replace")
        assert "mail intake failed" not in text and "event dead-lettered" not in text, log
    return Counter(rows[d.mail_id]["outcome"] for d in delivered)


def _inbox(suite: Suite) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for outcome in OUTCOMES:
        for row in _pages(suite, "/api/v1/inbound/messages", {"outcome": outcome}):
            found[row["mail_id"]] = row
    return found


def _ticket_ids(suite: Suite) -> set[str]:
    """Tickets as the ticket view has them, once it has caught up with the inbox."""
    return wait_until(
        lambda: (
            (ids := {t["id"] for t in _pages(suite, "/api/v1/tickets", {})})
            and {r["ticket_id"] for r in _inbox(suite).values() if r["ticket_id"]} <= ids
            and ids
        ),
        120,
        "every ticket of the inbox in the ticket view",
    )


def _pages(suite: Suite, path: str, params: dict[str, str]) -> Iterator[dict[str, Any]]:
    offset = 0
    while True:
        response = httpx.get(
            f"{suite.url('intake')}{path}",
            params={**params, "limit": 200, "offset": offset},
            headers=admin(suite),
            timeout=60,
        )
        assert response.status_code == 200, response.text
        page = response.json()
        yield from page["data"]
        offset += len(page["data"])
        if not page["data"] or offset >= page["count"]:
            return
