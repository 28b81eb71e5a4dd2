"""Each probe kind against a real local server: pages, a scripted sign-in with cookies and a
hidden token, TLS certificates, a TCP dialogue, SMTP (aiosmtpd), IMAP (Dovecot), and targets
that hang — which time out on their own and never delay the other checks."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from libs.catalog.checks_model import Check, Estate
from services.monitoring.adapters.checker import Checker
from services.monitoring.adapters.probes import run_probe
from services.monitoring.domain.evaluation import Result, evaluate
from tests.service.monitoring_targets import (
    PASSWORD,
    USER,
    login_site,
    pop3_like,
    self_signed,
    serve,
    silent,
    tcp_server,
)
from tests.support.dovecot import ImapServer, dovecot_server
from tests.unit.monitoring.factories import estate_from
from tools.embedded import free_port

pytestmark = pytest.mark.service


def utc_now() -> datetime:
    return datetime.now(UTC)


async def result_of(check: Check) -> Result:
    return evaluate(check, await run_probe(check, utc_now))


def one(folder: Path, body: str) -> Check:
    estate: Estate = estate_from(folder, "checks:\n" + body)
    (check,) = estate.checks
    return check


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    with serve(login_site()) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def tls_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    cert, key = self_signed(tmp_path_factory.mktemp("tls"), days=10)
    with serve(login_site(), (cert, key)) as port:
        yield f"https://127.0.0.1:{port}", cert


@pytest.fixture(scope="module")
def imap() -> Iterator[ImapServer]:
    with dovecot_server() as server:
        yield server


def http_check(folder: Path, url: str, expect: str, extra: str = "") -> Check:
    return one(
        folder,
        f"""
  - id: web
    application: TABMIS
    kind: http
    target: "{url}"
    timeout_s: 3
    expect: {expect}
{extra}""",
    )


async def test_a_page_is_up_down_or_slow_as_its_expectations_say(site: str, tmp_path: Path) -> None:
    up = await result_of(
        http_check(tmp_path, f"{site}/", '{status: [200], body_contains: "TABMIS"}')
    )
    assert up.ok and not up.degraded and up.duration_ms < 3000

    broken = await result_of(
        http_check(tmp_path, f"{site}/broken", '{status: [200], body_not_contains: "ORA-"}')
    )
    assert not broken.ok and broken.reason == "HTTP 503 (expected 200)"

    slow = await result_of(http_check(tmp_path, f"{site}/slow", "{degraded_after_ms: 300}"))
    assert slow.ok and slow.degraded and "degraded after 300 ms" in slow.reason


LOGIN = """
  - id: tabmis-login
    application: TABMIS
    kind: login
    target: "{site}/"
    timeout_s: 5
    credentials: {credentials}
    steps:
      - method: GET
        url: /login
        extract: {{csrf: {{field: _csrf}}}}
      - method: POST
        url: /login
        form: {{username: "{{username}}", password: "{{password}}", _csrf: "{{csrf}}"}}
        expect: {{status: [200], body_contains: "Đăng xuất"}}
"""


async def test_a_scripted_sign_in_carries_the_cookie_and_the_hidden_token(
    site: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check = one(tmp_path, LOGIN.format(site=site, credentials="{env: HOTRO_CHECK_TEST}"))
    monkeypatch.setenv("HOTRO_CHECK_TEST_USERNAME", USER)
    monkeypatch.setenv("HOTRO_CHECK_TEST_PASSWORD", PASSWORD)
    signed_in = await result_of(check)
    assert signed_in.ok, signed_in.reason

    monkeypatch.setenv("HOTRO_CHECK_TEST_PASSWORD", "sai-mat-khau")
    refused = await result_of(check)
    assert not refused.ok
    assert refused.reason == "login step 2 (POST /login): the page does not contain 'Đăng xuất'"

    monkeypatch.delenv("HOTRO_CHECK_TEST_PASSWORD")
    missing = await result_of(check)
    assert missing.reason == "credentials: HOTRO_CHECK_TEST_PASSWORD is not set"


async def test_a_sign_in_without_the_token_is_refused_by_the_site(
    site: str, tmp_path: Path
) -> None:
    """The carried value matters: the same form without `_csrf` fails at the site."""
    secrets = tmp_path / "login.yaml"
    secrets.write_text(f"username: {USER}\npassword: {PASSWORD}\n", encoding="utf-8")
    without_token = LOGIN.format(site=site, credentials="{file: login.yaml}").replace(
        ', _csrf: "{csrf}"', ""
    )
    result = await result_of(one(tmp_path, without_token))
    assert not result.ok and "HTTP 403" in result.reason
    with_token = await result_of(
        one(tmp_path, LOGIN.format(site=site, credentials="{file: login.yaml}"))
    )
    assert with_token.ok, with_token.reason


async def test_a_certificate_near_expiry_is_read_from_the_connection(
    tls_site: tuple[str, Path], tmp_path: Path
) -> None:
    url, cert = tls_site
    (tmp_path / "ca.pem").write_bytes(cert.read_bytes())
    check = http_check(tmp_path, f"{url}/", "{cert_expiry_warn_days: 21}", "    ca_file: ca.pem\n")
    result = await result_of(check)
    assert result.ok and result.degraded
    assert "the TLS certificate expires in 9 days" in result.reason

    unknown_ca = await result_of(http_check(tmp_path, f"{url}/", "{}"))
    assert not unknown_ca.ok and unknown_ca.reason.startswith("TLS certificate not valid")


async def test_a_tcp_dialogue_is_followed_and_a_wrong_answer_fails(tmp_path: Path) -> None:
    async with tcp_server(pop3_like) as port:
        dialogue = '{query_response: [{expect: "^\\\\+OK"}, {send: PING}, {expect: "^PONG"}]}'
        check = one(
            tmp_path,
            f"  - {{id: wan, application: TABMIS, kind: tcp, target: '127.0.0.1:{port}', expect: {dialogue}}}\n",
        )
        ok = await result_of(check)
        assert ok.ok, ok.reason
        wrong = one(
            tmp_path,
            f"  - {{id: wan, application: TABMIS, kind: tcp, target: '127.0.0.1:{port}',"
            " expect: {query_response: [{send: PING}, {expect: '^PANG'}]}}\n",
        )
        failed = await result_of(wrong)
        assert not failed.ok and "before /^PANG/" in failed.reason

    closed = one(
        tmp_path,
        f"  - {{id: wan, application: TABMIS, kind: tcp, target: '127.0.0.1:{free_port()}'}}\n",
    )
    refused = await result_of(closed)
    assert not refused.ok and refused.reason.startswith("connection refused")


async def test_a_hanging_target_times_out_saying_what_it_never_answered(
    site: str, tmp_path: Path
) -> None:
    async with tcp_server(silent) as port:
        check = one(
            tmp_path,
            f"  - {{id: hung, application: TABMIS, kind: tcp, target: '127.0.0.1:{port}',"
            " timeout_s: 0.5, expect: {query_response: [{expect: '^220 '}]}}\n",
        )
        result = await result_of(check)
    assert not result.ok
    assert result.reason == "no answer within 0.5 s (waiting for /^220 /)"
    assert 450 <= result.duration_ms < 1500

    page = await result_of(
        one(
            tmp_path,
            f"  - {{id: hung, application: TABMIS, kind: http, target: '{site}/hang', timeout_s: 0.5}}\n",
        )
    )
    assert not page.ok and page.reason.startswith("no answer within 0.5 s")


class _Sink:
    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        return "250 OK"


async def test_smtp_greeting_ehlo_and_starttls(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path, days=365)
    (tmp_path / "ca.pem").write_bytes(cert.read_bytes())
    plain_port, tls_port = free_port(), free_port()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    ident = "ESMTP Postfix (Debian/GNU)"
    plain = Controller(_Sink(), hostname="127.0.0.1", port=plain_port, ident=ident)
    secure = Controller(
        _Sink(), hostname="127.0.0.1", port=tls_port, ident=ident, tls_context=server_tls
    )
    plain.start()
    secure.start()
    try:

        def smtp(port: int, starttls: bool) -> Check:
            flag = "true" if starttls else "false"
            return one(
                tmp_path,
                f"  - {{id: mail, application: MAIL, kind: smtp, target: '127.0.0.1:{port}',"
                f" timeout_s: 5, ca_file: ca.pem, expect: {{starttls: {flag}, greeting_contains: ESMTP}}}}\n",
            )

        assert (await result_of(smtp(plain_port, starttls=False))).ok
        no_tls = await result_of(smtp(plain_port, starttls=True))
        assert not no_tls.ok and no_tls.reason == "the server does not offer STARTTLS"
        upgraded = await result_of(smtp(tls_port, starttls=True))
        assert upgraded.ok, upgraded.reason
    finally:
        plain.stop()
        secure.stop()

    gone = await result_of(smtp(plain_port, starttls=False))
    assert not gone.ok and gone.reason.startswith("connection refused")


async def test_imap_greeting_and_capability_against_dovecot(
    imap: ImapServer, tmp_path: Path
) -> None:
    def imap_check(starttls: bool) -> Check:
        flag = "true" if starttls else "false"
        return one(
            tmp_path,
            f"  - {{id: mail-imap, application: MAIL, kind: imap, target: '{imap.host}:{imap.port}',"
            f" timeout_s: 5, expect: {{starttls: {flag}, greeting_contains: Dovecot}}}}\n",
        )

    ok = await result_of(imap_check(starttls=False))
    assert ok.ok, ok.reason
    # the test Dovecot runs without TLS (ssl = no), so it does not offer STARTTLS
    refused = await result_of(imap_check(starttls=True))
    assert not refused.ok and refused.reason == "the server does not offer STARTTLS"


async def test_a_hanging_target_does_not_delay_the_other_checks(tmp_path: Path) -> None:
    async with tcp_server(silent) as hung_port, tcp_server(pop3_like) as fast_port:
        lines = [
            f"  - {{id: hung-{i}, application: TABMIS, kind: tcp, target: '127.0.0.1:{hung_port}',"
            " timeout_s: 3, expect: {query_response: [{expect: '^[+]OK'}]}}"
            for i in range(3)
        ] + [
            f"  - {{id: fast-{i}, application: TTSP, kind: tcp, target: '127.0.0.1:{fast_port}',"
            " timeout_s: 3, expect: {query_response: [{expect: '^[+]OK'}]}}"
            for i in range(12)
        ]
        estate = estate_from(tmp_path, "checks:\n" + "\n".join(lines) + "\n")
        done: dict[str, float] = {}
        began = time.perf_counter()

        async def record(check: Check, result: Result) -> None:
            done[check.id] = time.perf_counter() - began

        # four slots for fifteen checks, three of them held by hanging targets
        checker = Checker(estate.checks, record, utc_now, concurrency=4)
        tasks = checker.run_due()
        assert len(tasks) == 15

        async def fast_done() -> None:
            while sum(1 for k in done if k.startswith("fast-")) < 12:
                await asyncio.sleep(0.01)

        await asyncio.wait_for(fast_done(), 2.5)
        assert max(done[f"fast-{i}"] for i in range(12)) < 2.0
        assert not any(k.startswith("hung-") for k in done)  # still hanging, held to their timeout
        assert checker.run_due() == []  # nothing is due again yet, nothing is doubled
        await asyncio.gather(*tasks)
        assert all(done[f"hung-{i}"] >= 2.9 for i in range(3))
