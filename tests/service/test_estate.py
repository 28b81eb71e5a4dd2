"""The simulated estate (tools/estate) answers like the treasury's systems, goes down and up
on command, and writes a checks file that monitoring's own loader accepts and its own probes
pass against.

The estate runs as its own process, as under `make run`; the CLI is run as a process too.
"""

from __future__ import annotations

import asyncio
import imaplib
import json
import os
import smtplib
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml

from libs.catalog import load_catalog
from libs.catalog.checks import load_estate
from libs.catalog.checks_model import Check
from services.monitoring.adapters.probes import run_probe
from services.monitoring.domain.evaluation import Result, evaluate
from tools.estate import EstateProcess
from tools.suite import ROOT

SHIPPED_LIKE = {
    "defaults": {"interval_s": 60, "timeout_s": 10, "confirm_failures": 2, "confirm_recoveries": 2},
    "wan_channels": "wan.yaml",
    "checks": [
        {
            "id": "tabmis-web",
            "application": "TABMIS",
            "kind": "http",
            "target": "https://tabmis.kbnn.vn/",
            "morning": True,
            "expect": {"status": [200], "body_contains": "TABMIS", "body_not_contains": "ORA-"},
        },
        {
            "id": "tabmis-login",
            "application": "TABMIS",
            "kind": "login",
            "target": "https://tabmis.kbnn.vn/",
            "morning": True,
            "credentials": {"env": "HOTRO_CHECK_TABMIS"},
            "steps": [
                {
                    "url": "/OA_HTML/AppsLocalLogin.jsp",
                    "extract": {"tx": {"field": "_AM_TX_ID_FIELD"}},
                },
                {
                    "method": "POST",
                    "url": "/OA_HTML/AppsLocalLogin.jsp",
                    "form": {
                        "usernameField": "{username}",
                        "passwordField": "{password}",
                        "_AM_TX_ID_FIELD": "{tx}",
                    },
                    "expect": {"body_contains": "Đăng xuất"},
                },
            ],
        },
        {
            "id": "tabmis-db",
            "application": "TABMIS",
            "kind": "tcp",
            "target": "tabmis-db.kbnn.vn:1521",
            "morning": True,
        },
        {
            "id": "ktkb-anqp-hni",
            "application": "KTKB-ANQP",
            "kind": "http",
            "target": "https://ktkb-anqp.hni.kbnn.vn/",
            "labels": {"province": "HNI"},
        },
        {
            "id": "mail-smtp",
            "application": "MAIL",
            "kind": "smtp",
            "target": "mail.kbnn.vn:25",
            "expect": {"starttls": True},
        },
        {
            "id": "mail-imap",
            "application": "MAIL",
            "kind": "imap",
            "target": "mail.kbnn.vn:143",
            "expect": {"starttls": True},
        },
    ],
}
CONTACT = {"name": "Trung tâm Điều hành thông tin VNPT", "phone": "1800 1260"}
WAN = {
    "districts": [
        {
            "district": "KBNN-HNI-BADINH",
            "channels": [
                {
                    "id": f"wan-hni-badinh-{n}",
                    "carrier": "VNPT",
                    "contact": CONTACT,
                    "target": f"r{n}.hni-badinh.wan.kbnn.vn:443",
                }
                for n in (1, 2)
            ],
        }
    ]
}


def _start(state: Path, checks_in: Path | None) -> EstateProcess:
    return EstateProcess(
        state=state,
        checks_out=state / "out" / "checks.yaml",
        log=state / "estate.log",
        checks_in=checks_in,
    ).start()


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EstateProcess]:
    folder = tmp_path_factory.mktemp("estate")
    (folder / "checks.yaml").write_text(yaml.safe_dump(SHIPPED_LIKE, allow_unicode=True))
    (folder / "wan.yaml").write_text(yaml.safe_dump(WAN, allow_unicode=True))
    running = _start(folder / "state", folder / "checks.yaml")
    yield running
    running.stop()


def _checks(estate: EstateProcess) -> dict[str, dict[str, Any]]:
    document = yaml.safe_load(estate.checks_out.read_text(encoding="utf-8"))
    wan = yaml.safe_load(estate.checks_out.with_name(document["wan_channels"]).read_text())
    checks = {c["id"]: c for c in document["checks"]}
    for district in wan["districts"]:
        checks.update({c["id"]: c for c in district["channels"]})
    return checks


def _address(estate: EstateProcess, check_id: str) -> tuple[str, int]:
    host, _, port = _checks(estate)[check_id]["target"].rpartition(":")
    return host, int(port)


def cli(estate: EstateProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.estate", *args],
        env={**os.environ, "HOTRO_STATE_DIR": str(estate.state), "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def sign_in(check: dict[str, Any], password: str | None = None) -> httpx.Response:
    """What a checker does with a login check's steps: one cookie jar, values carried over."""
    secret = yaml.safe_load(Path(check["credentials"]["file"]).read_text())
    values = {"username": secret["username"], "password": password or secret["password"]}
    with httpx.Client(timeout=10) as http:
        for step in check["steps"]:
            form = {k: v.format(**values) for k, v in step.get("form", {}).items()}
            response = http.request(step.get("method", "GET"), step["url"], data=form or None)
            for name, extract in step.get("extract", {}).items():
                marker = f'name="{extract["field"]}" value="'
                values[name] = response.text.split(marker, 1)[1].split('"', 1)[0]
    return response


def connects(address: tuple[str, int]) -> bool:
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex(address) == 0


def test_every_morning_round_system_has_a_page_naming_it(estate: EstateProcess) -> None:
    base = _checks(estate)["tabmis-web"]["target"].rsplit("/", 2)[0]
    morning = [a for a in load_catalog().applications.values() if a.morning_check]
    assert len(morning) == 12
    for app in morning:
        page = httpx.get(f"{base}/{app.code.lower()}/")
        assert page.status_code == 200, app.code
        assert f"<title>{app.name}" in page.text


def test_a_province_system_is_named_after_its_province(estate: EstateProcess) -> None:
    check = _checks(estate)["ktkb-anqp-hni"]
    page = httpx.get(check["target"])
    assert page.status_code == 200
    assert check["expect"]["body_contains"] in page.text
    assert "Hà Nội" in page.text


def test_a_login_carrying_cookie_and_token_reaches_the_success_marker(
    estate: EstateProcess,
) -> None:
    check = _checks(estate)["tabmis-login"]
    # The form the shipped check scripts (Oracle EBS's field names), with its hidden token.
    form = httpx.get(check["steps"][0]["url"])
    assert 'type="hidden" name="_AM_TX_ID_FIELD" value="' in form.text
    assert 'name="usernameField"' in form.text

    landing = sign_in(check)

    assert landing.status_code == 200
    assert "Đăng xuất" in landing.text and "Tài khoản giám sát Hotro" in landing.text


def test_a_wrong_password_gives_the_form_again_with_an_error(estate: EstateProcess) -> None:
    check = _checks(estate)["tabmis-login"]
    with httpx.Client() as http:
        token = http.get(check["steps"][0]["url"]).text.split('value="', 1)[1].split('"')[0]
        answer = http.post(
            check["steps"][1]["url"],
            data={
                "usernameField": "hotro.giamsat",
                "passwordField": "wrong",
                "_AM_TX_ID_FIELD": token,
            },
        )
    assert answer.status_code == 200
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in answer.text
    assert "Đăng xuất" not in answer.text
    assert "Đăng xuất" not in sign_in(check, password="wrong").text


def test_a_post_without_the_antiforgery_cookie_is_refused(estate: EstateProcess) -> None:
    check = _checks(estate)["tabmis-login"]
    token = httpx.get(check["steps"][0]["url"]).text.split('value="', 1)[1].split('"')[0]
    secret = yaml.safe_load(Path(check["credentials"]["file"]).read_text())
    fields = {"usernameField": secret["username"], "passwordField": secret["password"]}
    answer = httpx.post(check["steps"][1]["url"], data={**fields, "_AM_TX_ID_FIELD": token})
    assert answer.status_code == 400
    assert "Đăng xuất" not in answer.text


def test_credentials_are_a_private_file_referenced_by_the_checks(estate: EstateProcess) -> None:
    check = _checks(estate)["tabmis-login"]
    secret_file = Path(check["credentials"]["file"])
    assert secret_file.stat().st_mode & 0o777 == 0o600
    password = yaml.safe_load(secret_file.read_text())["password"]
    assert password not in estate.checks_out.read_text()


def test_mail_greets_over_smtp_and_imap(estate: EstateProcess) -> None:
    with smtplib.SMTP(timeout=10) as smtp:
        code, greeting = smtp.connect(*_address(estate, "mail-smtp"))
        assert code == 220 and b"ESMTP" in greeting
        assert smtp.ehlo("hotro.test")[0] == 250 and smtp.has_extn("8bitmime")
    imap = imaplib.IMAP4(*_address(estate, "mail-imap"), timeout=10)
    assert imap.welcome.startswith(b"* OK [CAPABILITY IMAP4rev1")
    status, capabilities = imap.capability()
    assert status == "OK" and b"IMAP4rev1" in capabilities[0]
    assert imap.logout()[0] == "BYE"


def test_a_wan_channel_accepts_and_answers_a_line(estate: EstateProcess) -> None:
    with socket.create_connection(_address(estate, "wan-hni-badinh-1"), timeout=5) as sock:
        sock.sendall(b"PING\r\n")
        assert sock.makefile("rb").readline() == b"PONG wan-hni-badinh-1\r\n"


def test_down_fails_every_host_of_the_application_and_up_restores_it(
    estate: EstateProcess,
) -> None:
    page = _checks(estate)["tabmis-web"]["target"]
    database = _address(estate, "tabmis-db")
    assert httpx.get(page).status_code == 200 and connects(database)

    down = cli(estate, "down", "TABMIS")
    assert down.returncode == 0, down.stderr
    assert httpx.get(page).status_code == 503
    assert not connects(database)
    assert "down" in cli(estate, "status").stdout.split("tabmis ", 1)[1].splitlines()[0]

    assert cli(estate, "up", "TABMIS").returncode == 0
    assert httpx.get(page).status_code == 200 and connects(database)


def test_a_channel_or_a_whole_district_goes_down_and_comes_back(estate: EstateProcess) -> None:
    first, second = (_address(estate, f"wan-hni-badinh-{n}") for n in (1, 2))
    assert cli(estate, "down", "wan-hni-badinh-1").returncode == 0
    assert not connects(first) and connects(second)
    assert cli(estate, "down", "KBNN-HNI-BADINH").returncode == 0
    assert not connects(second)
    assert cli(estate, "up", "KBNN-HNI-BADINH").returncode == 0
    assert connects(first) and connects(second)


def test_mail_down_stops_its_greetings(estate: EstateProcess) -> None:
    assert cli(estate, "down", "MAIL").returncode == 0
    assert not connects(_address(estate, "mail-smtp"))
    assert not connects(_address(estate, "mail-imap"))
    assert cli(estate, "up", "MAIL").returncode == 0
    assert connects(_address(estate, "mail-smtp")) and connects(_address(estate, "mail-imap"))


def test_slow_delays_the_answers_and_up_makes_them_quick_again(estate: EstateProcess) -> None:
    page = _checks(estate)["tabmis-web"]["target"]
    slow = cli(estate, "slow", "TABMIS", "800")
    assert slow.returncode == 0 and "slow" in slow.stdout
    started = time.monotonic()
    assert httpx.get(page, timeout=10).status_code == 200
    assert time.monotonic() - started >= 0.8
    assert cli(estate, "up", "TABMIS").returncode == 0
    started = time.monotonic()
    httpx.get(page)
    assert time.monotonic() - started < 0.5


def test_unknown_names_and_bad_delays_are_refused(estate: EstateProcess) -> None:
    unknown = cli(estate, "down", "NO-SUCH-SYSTEM")
    assert unknown.returncode == 1 and "NO-SUCH-SYSTEM" in unknown.stderr
    port = json.loads(estate.control_file.read_text())["port"]
    answer = httpx.post(f"http://127.0.0.1:{port}/targets/tabmis/slow", json={"delay_ms": -5})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["field"] == "delay_ms"


def test_the_cli_says_when_no_estate_runs(tmp_path: Path) -> None:
    nobody = EstateProcess(state=tmp_path, checks_out=tmp_path / "c.yaml", log=tmp_path / "l")
    result = cli(nobody, "status")
    assert result.returncode == 2 and "no simulated estate is running" in result.stderr


@pytest.fixture(scope="module")
def shipped_estate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EstateProcess]:
    running = _start(tmp_path_factory.mktemp("shipped"), ROOT / "catalog" / "checks.yaml")
    yield running
    running.stop()


async def _results(checks: Iterable[Check]) -> dict[str, Result]:
    """Monitoring's own probes and evaluation, as its checker runs them."""
    limit = asyncio.Semaphore(50)

    async def one(check: Check) -> tuple[str, Result]:
        async with limit:
            seen = await run_probe(check, lambda: datetime.now(UTC))
        return check.id, evaluate(check, seen)

    return dict(await asyncio.gather(*(one(c) for c in checks)))


async def test_every_shipped_check_passes_against_the_simulator(
    shipped_estate: EstateProcess,
) -> None:
    simulated = load_estate(load_catalog(), shipped_estate.checks_out)
    original = load_estate(load_catalog(), ROOT / "catalog" / "checks.yaml")
    assert [c.id for c in simulated.checks] == [c.id for c in original.checks]
    for check in simulated.checks:
        host = urlsplit(check.target).hostname if "://" in check.target else None
        assert (host or check.host_port()[0]) == "127.0.0.1", check.id

    results = await _results(simulated.checks)

    # Slowness is the machine's (hundreds of checks at once on a loaded test machine, seen at
    # 3.7 s against a 3 s threshold); any other degradation (a certificate to renew) is not.
    failed = {
        i: r.reason
        for i, r in results.items()
        if not r.ok or (r.degraded and not r.reason.startswith("slow:"))
    }
    assert not failed
    assert {"tabmis-login", "mail-smtp", "mail-imap"} <= results.keys()


async def test_a_system_taken_down_fails_its_checks_and_a_slow_one_is_degraded(
    shipped_estate: EstateProcess,
) -> None:
    estate = load_estate(load_catalog(), shipped_estate.checks_out)
    tabmis = [c for c in estate.checks if c.application == "TABMIS"]
    assert {c.kind for c in tabmis} >= {"http", "login", "tcp"}
    try:
        assert cli(shipped_estate, "down", "TABMIS").returncode == 0
        down = await _results(tabmis)
        assert not any(r.ok for r in down.values()), down
        assert "503" in down["tabmis-web"].reason

        assert cli(shipped_estate, "up", "TABMIS").returncode == 0
        assert cli(shipped_estate, "slow", "TABMIS", "3100").returncode == 0
        slow = await _results([estate.by_id["tabmis-web"]])
        assert slow["tabmis-web"].ok and slow["tabmis-web"].degraded
    finally:
        assert cli(shipped_estate, "up", "TABMIS").returncode == 0
    assert all(r.ok and not r.degraded for r in (await _results(tabmis)).values())


def test_a_restarted_estate_answers_where_it_did_with_the_same_credentials(
    tmp_path: Path,
) -> None:
    first = _start(tmp_path / "state", None)
    before = _checks_without_wan(first)
    first.stop()
    second = _start(tmp_path / "state", None)
    try:
        after = _checks_without_wan(second)
        assert [c["target"] for c in after] == [c["target"] for c in before]
        login = next(c for c in after if c["kind"] == "login")
        assert "Đăng xuất" in sign_in(login).text
    finally:
        second.stop()


def _checks_without_wan(estate: EstateProcess) -> list[dict[str, Any]]:
    return yaml.safe_load(estate.checks_out.read_text(encoding="utf-8"))["checks"]
