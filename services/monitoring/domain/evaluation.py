"""Is one probe's observation a success? (SPEC §5: a check's expectations, as data.)

A probe only reports what it saw (`Observation`: the status, the body, the certificate's
expiry, or why it could not finish); this module decides what that means against the check's
`expect` (`Result`: ok, degraded, the reason in words an operator reads). The few decisions a
probe needs while it runs (does this login step's page prove the step worked, which value to
carry to the next step, has the TCP dialogue matched) are here too, so no rule lives in I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser

from libs.catalog.checks_model import (
    PLACEHOLDER,
    Check,
    Extract,
    HttpExpect,
    LoginStep,
    MailExpect,
    StepExpect,
    TcpExpect,
)

#: How much of a reason is kept: enough to read, never a whole page.
REASON_LIMIT = 300


@dataclass(frozen=True)
class Observation:
    """What a probe saw. `error` set means it could not complete (refused, timed out, a
    protocol step failed); the other fields are what it got before that, if anything."""

    started_at: datetime
    duration_ms: int
    error: str | None = None
    status: int | None = None
    body: str = ""
    #: When the server's TLS certificate expires (None: no TLS, or not verified).
    cert_expires_at: datetime | None = None
    #: A mail server's greeting line(s).
    greeting: str = ""


@dataclass(frozen=True)
class Result:
    ok: bool
    degraded: bool
    reason: str
    duration_ms: int
    checked_at: datetime

    def public(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "degraded": self.degraded,
            "reason": self.reason,
            "duration_ms": self.duration_ms,
            "checked_at": self.checked_at.isoformat(),
        }


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= REASON_LIMIT else text[: REASON_LIMIT - 1] + "…"


def body_problem(expect: HttpExpect | StepExpect, status: int | None, body: str) -> str | None:
    """Why an HTTP response does not meet `expect`, or None when it does."""
    if status not in expect.status:
        wanted = ", ".join(str(s) for s in expect.status)
        return f"HTTP {status} (expected {wanted})"
    if expect.body_contains is not None and expect.body_contains not in body:
        return f"the page does not contain {expect.body_contains!r}"
    if expect.body_not_contains is not None and expect.body_not_contains in body:
        return f"the page contains {expect.body_not_contains!r}"
    return None


def evaluate(check: Check, seen: Observation) -> Result:
    """The result of one observation of `check`."""

    def result(ok: bool, reason: str = "", degraded: bool = False) -> Result:
        return Result(ok, degraded and ok, _short(reason), seen.duration_ms, seen.started_at)

    if seen.error is not None:
        return result(False, seen.error)
    expect = check.expect
    if isinstance(expect, HttpExpect):
        # A login probe checked each step's own expectations as it went; `expect` is extra.
        if check.kind == "http":
            problem = body_problem(expect, seen.status, seen.body)
            if problem:
                return result(False, problem)
        expiry = _certificate(expect, seen)
        if expiry is not None and expiry[0]:
            return result(False, expiry[1])
        slow = _slow(expect.degraded_after_ms, seen.duration_ms)
        if expiry is not None:
            return result(True, expiry[1] + (f"; {slow}" if slow else ""), degraded=True)
        return result(True, slow or "", degraded=slow is not None)
    if (
        isinstance(expect, MailExpect)
        and expect.greeting_contains is not None
        and expect.greeting_contains not in seen.greeting
    ):
        return result(False, f"the greeting does not contain {expect.greeting_contains!r}")
    assert isinstance(expect, TcpExpect | MailExpect)
    slow = _slow(expect.degraded_after_ms, seen.duration_ms)
    return result(True, slow or "", degraded=slow is not None)


def _slow(threshold_ms: int | None, duration_ms: int) -> str | None:
    if threshold_ms is not None and duration_ms > threshold_ms:
        return f"slow: {duration_ms} ms (degraded after {threshold_ms} ms)"
    return None


def _certificate(expect: HttpExpect, seen: Observation) -> tuple[bool, str] | None:
    """(expired, reason) when the certificate has expired or expires within the warning."""
    if seen.cert_expires_at is None:
        return None
    left = seen.cert_expires_at - seen.started_at
    if left.total_seconds() <= 0:
        return True, f"the TLS certificate expired on {seen.cert_expires_at.date().isoformat()}"
    if expect.cert_expiry_warn_days is not None and left.days < expect.cert_expiry_warn_days:
        return False, (
            f"the TLS certificate expires in {left.days} days"
            f" ({seen.cert_expires_at.date().isoformat()})"
        )
    return None


# --------------------------------------------------------------------------------------------
# Login steps
# --------------------------------------------------------------------------------------------


class _Inputs(HTMLParser):
    """The `name → value` of every <input> of a page (hidden anti-forgery tokens included)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "input":
            return
        attributes = dict(attrs)
        name = attributes.get("name")
        if name and name not in self.values:
            self.values[name] = attributes.get("value") or ""


def form_inputs(html: str) -> dict[str, str]:
    parser = _Inputs()
    parser.feed(html)
    parser.close()
    return parser.values


def extract_values(extracts: dict[str, Extract], body: str) -> tuple[dict[str, str], str | None]:
    """The values a step carries forward, or the reason one is missing from the page."""
    values: dict[str, str] = {}
    inputs: dict[str, str] | None = None
    for name, how in extracts.items():
        if how.field is not None:
            inputs = form_inputs(body) if inputs is None else inputs
            if how.field not in inputs:
                return values, f"the page has no form field {how.field!r} to carry as {{{name}}}"
            values[name] = inputs[how.field]
        else:
            assert how.regex is not None
            match = re.search(how.regex, body)
            if match is None:
                return values, f"the page does not match {how.regex!r} (for {{{name}}})"
            values[name] = match.group(1) if match.groups() else match.group(0)
    return values, None


def fill(template: str, values: dict[str, str]) -> str:
    """`{name}` replaced by its value (the loader made sure every name is known)."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def step_problem(index: int, step: LoginStep, status: int, body: str) -> str | None:
    problem = body_problem(step.expect, status, body)
    return f"login step {index + 1} ({step.method} {step.url}): {problem}" if problem else None


# --------------------------------------------------------------------------------------------
# TCP dialogue
# --------------------------------------------------------------------------------------------


def dialogue_matched(expect: str, received: str) -> bool:
    """blackbox_exporter's query_response: `expect` is searched in what arrived so far."""
    return re.search(expect, received, re.MULTILINE) is not None
