"""One observation against a check's expectations (SPEC §5)."""

from __future__ import annotations

from datetime import timedelta

from libs.catalog.checks_model import Extract, HttpExpect, LoginStep, MailExpect, StepExpect
from services.monitoring.domain.evaluation import (
    Observation,
    dialogue_matched,
    evaluate,
    extract_values,
    fill,
    form_inputs,
    step_problem,
)
from tests.unit.monitoring.factories import T0, a_check


def seen(**fields: object) -> Observation:
    values: dict[str, object] = {"started_at": T0, "duration_ms": 120, "status": 200, "body": ""}
    values.update(fields)
    return Observation(**values)  # type: ignore[arg-type]


def test_a_page_with_the_expected_status_and_text_is_ok() -> None:
    check = a_check(expect=HttpExpect(status=[200], body_contains="TABMIS"))
    result = evaluate(check, seen(body="<h1>TABMIS</h1>"))
    assert result.ok and not result.degraded
    assert result.duration_ms == 120 and result.checked_at == T0


def test_a_wrong_status_fails_naming_what_was_expected() -> None:
    check = a_check(expect=HttpExpect(status=[200, 302]))
    result = evaluate(check, seen(status=503))
    assert not result.ok
    assert result.reason == "HTTP 503 (expected 200, 302)"


def test_missing_and_forbidden_text_fail() -> None:
    must = a_check(expect=HttpExpect(body_contains="Kho bạc Nhà nước"))
    assert (
        evaluate(must, seen(body="Kho bac")).reason
        == "the page does not contain 'Kho bạc Nhà nước'"
    )
    never = a_check(expect=HttpExpect(body_not_contains="ORA-"))
    result = evaluate(never, seen(body="ORA-12541: TNS:no listener"))
    assert not result.ok and "ORA-" in result.reason


def test_a_slow_answer_is_degraded_but_still_up() -> None:
    check = a_check(expect=HttpExpect(degraded_after_ms=1000))
    result = evaluate(check, seen(duration_ms=2500))
    assert result.ok and result.degraded
    assert "2500 ms" in result.reason
    assert not evaluate(check, seen(duration_ms=900)).degraded


def test_a_certificate_near_expiry_warns_and_an_expired_one_fails() -> None:
    check = a_check(expect=HttpExpect(cert_expiry_warn_days=21))
    soon = evaluate(check, seen(cert_expires_at=T0 + timedelta(days=10, hours=1)))
    assert soon.ok and soon.degraded and "expires in 10 days" in soon.reason
    later = evaluate(check, seen(cert_expires_at=T0 + timedelta(days=90)))
    assert later.ok and not later.degraded
    expired = evaluate(check, seen(cert_expires_at=T0 - timedelta(days=1)))
    assert not expired.ok and "expired" in expired.reason


def test_a_probe_error_is_the_failure_reason_whatever_the_kind() -> None:
    for kind in ("http", "login", "tcp", "smtp", "imap"):
        result = evaluate(a_check(kind), seen(error="connection refused", status=None))
        assert not result.ok and result.reason == "connection refused"


def test_a_mail_greeting_must_contain_the_expected_text() -> None:
    check = a_check("smtp", expect=MailExpect(greeting_contains="ESMTP Postfix"))
    assert evaluate(check, seen(greeting="220 mail.kbnn.vn ESMTP Postfix")).ok
    assert not evaluate(check, seen(greeting="220 mail.kbnn.vn Exim")).ok


def test_a_long_reason_is_cut_to_something_readable() -> None:
    result = evaluate(a_check(), seen(error="x" * 5000))
    assert len(result.reason) <= 300 and result.reason.endswith("…")


def test_a_hidden_form_token_and_a_regex_group_are_extracted() -> None:
    page = (
        '<form><input type="hidden" name="__RequestVerificationToken" value="tok&amp;123">'
        '<input name="UserName"></form><script>var sid = "S-42";</script>'
    )
    values, missing = extract_values(
        {
            "anti": Extract(field="__RequestVerificationToken"),
            "sid": Extract(regex=r'sid = "([^"]+)"'),
        },
        page,
    )
    assert missing is None
    assert values == {"anti": "tok&123", "sid": "S-42"}
    assert form_inputs(page)["UserName"] == ""


def test_a_missing_token_is_a_reason_naming_it() -> None:
    _, missing = extract_values({"csrf": Extract(field="_csrf")}, "<form></form>")
    assert missing is not None and "_csrf" in missing


def test_placeholders_are_filled_and_a_step_failure_names_the_step_not_the_secret() -> None:
    assert fill("{username}:{csrf}", {"username": "giamsat", "csrf": "abc"}) == "giamsat:abc"
    step = LoginStep(method="POST", url="/login", expect=StepExpect(body_contains="Đăng xuất"))
    problem = step_problem(1, step, 200, "Sai mật khẩu")
    assert problem == "login step 2 (POST /login): the page does not contain 'Đăng xuất'"


def test_a_tcp_dialogue_matches_a_regex_over_what_arrived() -> None:
    assert dialogue_matched(r"^\+OK", "+OK POP3 ready\r\n")
    assert dialogue_matched(r"^220 ", "banner\r\n220 ready\r\n")
    assert not dialogue_matched(r"^220 ", "421 busy\r\n")
