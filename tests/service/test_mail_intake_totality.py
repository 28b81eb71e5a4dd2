"""The mail path is total (issue 17), on a real PostgreSQL: any message ends in an outcome.

A message whose Message-ID holds bytes that are not UTF-8 (the 500 of the issue) becomes a
ticket, and its second copy is recognised. A bug while deciding — injected here by a subclass,
since the fuzz tests found none left — makes the message a dead letter naming the error, which
an admin replays once the bug is fixed; a database failure instead reaches the caller, so
the channel answers "retry later" (SMTP 451, HTTP 503) and nothing is half-stored.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from libs.platform.eventstore import open_application
from services.intake.adapters import mail_index, ticket_view
from services.intake.adapters.blobs import BlobStore
from services.intake.adapters.directory import RequesterDirectory
from services.intake.adapters.store import IntakeApplication, TicketNumbers
from services.intake.bootstrap import attachment_policy
from services.intake.domain.mail import ParsedMail
from services.intake.domain.mail_decision import MailDecision
from services.intake.service_layer.mail_intake import (
    INTAKE_FAILURE,
    STORAGE_ERRORS,
    MailIntake,
    MailSettings,
)
from services.intake.service_layer.submissions import Submissions

SCHEMA = "intake"
RAW = (
    b"From: Lan <lan@kbnn.gov.vn>\r\nSubject: Loi TTSP\r\n"
    b"Message-ID: <ab\xff\xfe.1@kbnn\xe9.example>\r\n\r\nKhong gui duoc lenh.\r\n"
)


class BuggyIntake(MailIntake):
    """Intake with a bug in its decision, or a database that fails while deciding."""

    failure: Exception = ValueError("a bug in the decision")

    async def _decide(self, parsed: ParsedMail | None, refusal: str = "") -> MailDecision:
        raise self.failure


@pytest.fixture
async def parts(database_url: str) -> AsyncIterator[dict[str, Any]]:
    app = open_application(IntakeApplication, database_url, SCHEMA)
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(database_url, max_size=4, open=False)
    await pool.open(wait=True, timeout=30)
    numbers, blobs = TicketNumbers(pool, SCHEMA), BlobStore(pool, SCHEMA)
    directory = RequesterDirectory(pool, SCHEMA)
    for table in (numbers, blobs, directory):
        await table.ensure_table()
    await ticket_view.ensure_tables(pool, SCHEMA)
    await mail_index.ensure_tables(pool, SCHEMA)
    yield {
        "app": app,
        "submissions": Submissions(app, numbers, blobs, attachment_policy()),
        "blobs": blobs,
        "queries": mail_index.MailQueries(pool, SCHEMA),
        "directory": directory,
        "settings": MailSettings.from_sender("hotrocntt@kbnn.gov.vn", "hotro.kbnn.gov.vn"),
    }
    await pool.close()


async def test_a_message_id_that_is_not_utf8_makes_a_ticket_and_is_taken_in_once(
    parts: dict[str, Any],
) -> None:
    intake = MailIntake(**parts)
    first = await intake.take_in(RAW, "http")
    assert first.outcome == "ticket" and first.number
    again = await intake.take_in(RAW + b"(a copy with other bytes)\r\n", "smtp")
    assert (again.outcome, again.mail_id) == ("ignored", first.mail_id)
    assert "already taken in as ticket" in again.reason


async def test_a_bug_while_deciding_keeps_the_message_as_a_dead_letter_to_replay(
    parts: dict[str, Any],
) -> None:
    result = await BuggyIntake(**parts).take_in(RAW, "smtp")
    assert result.outcome == "dead_letter"
    assert result.reason == f"{INTAKE_FAILURE}: ValueError: a bug in the decision"
    stored = await MailIntake(**parts).find(uuid.UUID(result.mail_id))
    assert stored is not None and stored.outcome == "dead_letter"
    assert (await BuggyIntake(**parts).take_in(RAW, "smtp")).outcome == "ignored"
    fixed = await MailIntake(**parts).replay(uuid.UUID(result.mail_id), "admin")
    assert fixed.outcome == "ticket" and fixed.mail_id == result.mail_id


async def test_a_database_failure_reaches_the_channel_and_stores_nothing(
    parts: dict[str, Any],
) -> None:
    buggy = BuggyIntake(**parts)
    buggy.failure = psycopg.OperationalError("server closed the connection unexpectedly")
    with pytest.raises(STORAGE_ERRORS):
        await buggy.take_in(RAW, "smtp")
    later = await MailIntake(**parts).take_in(RAW, "smtp")  # the sender's retry
    assert later.outcome == "ticket"


async def test_a_reply_before_the_view_has_its_ticket_is_a_comment_on_it(
    parts: dict[str, Any],
) -> None:
    """Found by the chaos run (issue 17): while the ticket view lagged (its consumer down), a
    requester's reply naming a ticket just opened became a second ticket. No consumer runs
    here, so the view never has the ticket; the number index, written with it, finds it."""
    intake = MailIntake(**parts)
    opened = await intake.take_in(RAW, "smtp")
    assert opened.outcome == "ticket" and opened.number
    reply = (
        f"From: Lan <lan@kbnn.gov.vn>\r\nSubject: Re: [{opened.number}] Loi TTSP\r\n"
        "Message-ID: <reply.1@kbnn.gov.vn>\r\n\r\nVan chua gui duoc.\r\n"
    ).encode()
    answered = await intake.take_in(reply, "http")
    assert (answered.outcome, answered.ticket_id) == ("comment", opened.ticket_id)
