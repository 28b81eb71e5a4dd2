"""The in-process share of issue 17's 10,000 mutated messages: parser, decision, stored id.

Every sample of `tests/support/mail_mutations.py` in the `domain` range goes through what
`MailIntake.take_in` does before touching the database: parse (or refuse with a rule's
reason), derive the stored id from the Message-ID, decide — and the parsed values must be
storable as they are (valid Unicode, no NUL: PostgreSQL and JSON take nothing else), and the
acknowledgement of a new ticket must be writable (the mailer builds it from the same values). A sample
that fails is named by its index; `mutated_message(seed, index)` gives its bytes back.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from typing import Any

from libs.platform.eventstore import derived_id
from libs.platform.outgoing_mail import new_message
from services.intake.domain.inbound_mail import OUTCOMES, mail_key
from services.intake.domain.mail import ParsedMail, UnparseableMail, parse_mail
from services.intake.domain.mail.ack import ack_body, ack_subject, reply_headers
from services.intake.domain.mail.message_ids import MAX_MESSAGE_ID
from services.intake.domain.mail.parser import PARSER_FAILURE
from services.intake.domain.mail_decision import decide
from tests.support.mail_mutations import DEFAULT_SEED, index_range, mutated_message
from tests.unit.intake.test_mail_decision import INDEX

#: Generous: a normal sample takes milliseconds; the quadratic search this guards against
#: took 46 s on one 200 kB header.
SLOWEST_S = 10.0


def problems_of(parsed: ParsedMail) -> list[str]:
    """Values that could not be stored as they are."""
    found = []
    for field in dataclasses.fields(parsed):
        for value in _strings(getattr(parsed, field.name)):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                found.append(f"{field.name} is not valid Unicode: {value[:60]!r}")
            if "\x00" in value:
                found.append(f"{field.name} holds NUL")
    ids = [parsed.message_id or "", parsed.in_reply_to or "", *parsed.references]
    found += [f"Message-ID longer than {MAX_MESSAGE_ID}" for i in ids if len(i) > MAX_MESSAGE_ID]
    return found


def acknowledgement_problems(parsed: ParsedMail) -> list[str]:
    """The acknowledgement the mailer will write, as it writes it (no I/O: bytes only)."""
    headers = reply_headers(parsed.message_id, parsed.references)
    headers = {k.replace("-", "_"): v for k, v in headers.items() if k != "Auto-Submitted"}
    to = parsed.from_email.lower()
    try:
        subject = ack_subject("YC-2026-000001", parsed.subject)
        body = ack_body("YC-2026-000001", parsed.from_name, parsed.subject)
        new_message(to, subject, body, **headers).as_bytes()
    except Exception as error:  # what would dead-letter the mailer's event
        return [f"acknowledgement to {to!r}: {type(error).__name__}: {error}"]
    return []


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    if dataclasses.is_dataclass(value):
        return [s for f in dataclasses.fields(value) for s in _strings(getattr(value, f.name))]
    return []


def test_every_mutated_message_parses_to_storable_values_or_is_refused_with_a_reason() -> None:
    outcomes: Counter[str] = Counter()
    failures: dict[int, str] = {}
    slowest = (0.0, -1)
    for index in index_range("domain"):
        raw = mutated_message(DEFAULT_SEED, index)
        started = time.perf_counter()
        try:
            parsed = parse_mail(raw)
        except UnparseableMail as refused:
            outcomes["dead_letter"] += 1
            if not refused.reason or refused.reason.startswith(PARSER_FAILURE):
                failures[index] = refused.reason
            continue
        finally:
            slowest = max(slowest, (time.perf_counter() - started, index))
        problems = problems_of(parsed)
        derived_id("mail", mail_key(parsed.message_id, "sha"))  # the old 500
        decision = decide(parsed, INDEX)
        outcomes[decision.outcome] += 1
        if decision.outcome not in OUTCOMES or not decision.reason:
            problems.append(f"outcome {decision.outcome!r}, reason {decision.reason!r}")
        if decision.acknowledge:
            problems += acknowledgement_problems(parsed)
        if problems:
            failures[index] = "; ".join(problems)
    assert not failures, f"seed {DEFAULT_SEED}: {dict(list(failures.items())[:10])}"
    assert slowest[0] < SLOWEST_S, f"sample {slowest[1]} took {slowest[0]:.1f} s"
    assert sum(outcomes.values()) == len(index_range("domain"))
    # The mutations reach every outcome a reply or a request can have (not only refusals).
    assert {"ticket", "comment", "ignored", "dead_letter"} <= set(outcomes), outcomes
    assert outcomes["ticket"] > len(index_range("domain")) // 4, outcomes


def test_samples_are_reproducible_from_their_index() -> None:
    assert mutated_message(DEFAULT_SEED, 1234) == mutated_message(DEFAULT_SEED, 1234)
    assert mutated_message(DEFAULT_SEED, 1234) != mutated_message(DEFAULT_SEED + 1, 1234)
