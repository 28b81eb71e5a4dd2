"""`make backup` of a running suite, `make restore` into an empty state folder, `make run` on it:
every ticket and read model comes back as it was, and the keys with them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.support.org import l1_office
from tests.support.tickets import wait_until, web_ticket
from tools.embedded import free_port, remove_tree
from tools.suite import ROOT, SERVICES

#: The caller's own settings would point `make run` elsewhere than the folder under test.
_NOT_INHERITED = (
    "DATABASE_URL",
    "KAFKA_BOOTSTRAP_SERVERS",
    "HOTRO_ADMIN_TOKEN",
    "HOTRO_INTERNAL_KEY",
    "HOTRO_ANALYST_PASSWORD",
)


@dataclass
class Instance:
    """One `python -m tools.run` on its own state folder and ports."""

    state: Path
    ports: dict[str, int]
    process: subprocess.Popen[str] | None = None

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
        env.update(
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
            HOTRO_STATE_DIR=str(self.state),
            HOTRO_REBALANCE_TIMEOUT_S="3",
            # Monitoring's checks of the estate (unreachable here) would open tickets of their
            # own in both instances, at times of their own.
            HOTRO_CHECKER_ENABLED="0",
            HOTRO_READINESS_ENABLED="0",
            **{f"HOTRO_{name.upper()}_PORT": str(port) for name, port in self.ports.items()},
        )
        return env

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.ports['intake']}/api/v1"

    @property
    def database_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.ports['pg']}/hotro"

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {(self.state / 'admin-token').read_text().strip()}"}

    def start(self) -> None:
        console = self.state / "console.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tools.run"],
            cwd=ROOT,
            env=self.env,
            stdout=console.open("a"),
            stderr=subprocess.STDOUT,
            text=True,
        )
        wait_until(
            lambda: (
                "Hotro is running" in console.read_text()
                or self.process is None
                or self.process.poll() is not None
            ),
            180,
            "make run to be ready",
        )
        assert self.process.poll() is None, console.read_text()[-2000:] + self.log_tails()

    def log_tails(self) -> str:
        """The end of every service's log: the state folder is removed after the test."""
        return "".join(
            f"\n--- {log.name}\n" + "\n".join(log.read_text().splitlines()[-15:])
            for log in sorted((self.state / "logs").glob("*.log"))
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(90)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def backup_tool(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tools.backup", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )


def _instance() -> Instance:
    # Under the project (not /tmp/pytest-of-root, 0700): PostgreSQL runs as its own user.
    state = ROOT / ".hotro" / "test" / f"backup-{uuid.uuid4().hex[:8]}"
    state.mkdir(parents=True)
    return Instance(state, {name: free_port() for name in (*SERVICES, "smtp", "pg", "broker")})


@pytest.fixture
def instances() -> Iterator[list[Instance]]:
    made: list[Instance] = []
    try:
        yield made
    finally:
        for instance in made:
            instance.stop()
            remove_tree(instance.state)


def _get(instance: Instance, path: str, headers: dict[str, str] | None = None) -> Any:
    response = httpx.get(
        f"{instance.gateway}{path}", headers=headers or instance.admin(), timeout=30
    )
    assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
    return response.json()


def _post(instance: Instance, path: str, token: str | None = None, **body: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else instance.admin()
    response = httpx.post(f"{instance.gateway}{path}", json=body, headers=headers, timeout=30)
    assert response.status_code in (200, 201, 202), (
        f"{path}: {response.status_code} {response.text}"
    )
    return response.json()


def _observed(instance: Instance, ids: list[str]) -> dict[str, Any]:
    """Everything a user or an analyst can read about these tickets."""
    with psycopg.connect(instance.database_url) as conn:
        cursor = conn.execute(
            "SELECT * FROM reporting.tickets WHERE ticket_id = ANY(%s) ORDER BY ticket_id",
            ([uuid.UUID(i) for i in ids],),
        )
        columns = [c.name for c in cursor.description or ()]
        reporting = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    listed = _get(instance, "/tickets?limit=200")["data"]
    return {
        "views": {i: _get(instance, f"/tickets/{i}") for i in ids},
        "list": [t for t in listed if t["id"] in ids],
        "queues": {
            f"{queue}/{office}": [
                t
                for t in _get(instance, f"/queues/{queue}?office={office}")["data"]
                if t["id"] in ids
            ]
            for queue in ("mine-to-handle", "mine-to-follow-up")
            for office in (l1_office("HNI"), l1_office("HCM"), "TABMIS", "CNTT-QTUD")
        },
        "known_errors": _get(instance, "/known-errors"),
        "reporting": reporting,
    }


def _settled(instance: Instance, ids: list[str], expected_tiers: dict[str, str]) -> dict[str, Any]:
    """The read models once every move has reached them and nothing changes any more."""

    def caught_up() -> dict[str, Any] | None:
        seen = _observed(instance, ids)
        rows = {str(r["ticket_id"]): r for r in seen["reporting"]}
        for ticket_id in ids:
            view, row = seen["views"][ticket_id], rows.get(ticket_id)
            if not view.get("sla") or row is None or row["tier"] != view["tier"]:
                return None
            if row["status"] != view["status"] or row["escalations"] != sum(
                h["type"] == "hotro.ticket.escalated.v1" for h in view["history"]
            ):
                return None
        if any(seen["views"][t]["tier"] != tier for t, tier in expected_tiers.items()):
            return None
        time.sleep(1.5)
        return seen if _observed(instance, ids) == seen else None

    result: dict[str, Any] = wait_until(caught_up, 120, "the read models to settle")
    return result


# Two starts of the whole suite (about 60 s and 30 s on 2 idle cores, much more when shared).
@pytest.mark.timeout(600)
def test_a_backup_of_a_running_suite_restored_on_an_empty_folder_brings_everything_back(
    instances: list[Instance],
) -> None:
    source = _instance()
    instances.append(source)
    source.start()
    hni = _post(source, "/tokens", name="Phòng Tin học Hà Nội", role="province_it", province="HNI")
    subjects = [
        "Không đăng nhập được TABMIS phân hệ GL",
        "Lỗi kết sổ trên TABMIS phân hệ GL",
        "TABMIS báo sai số dư sổ cái khi kết xuất",
        "Máy in tại phòng kế toán không in được",
        "Xin cấp quyền truy cập TABMIS cho cán bộ mới",
    ]
    ids = [_post(source, "/tickets", **web_ticket(s))["id"] for s in subjects]
    _settled(source, ids, {})
    _post(source, f"/tickets/{ids[0]}/start", hni["token"])
    _post(source, f"/tickets/{ids[0]}/comments", hni["token"], body="Đang kiểm tra")
    _post(source, f"/tickets/{ids[1]}/escalate", hni["token"], reason="Cần nhóm TABMIS")
    for reason in ("Cần nhóm TABMIS", "Cần Phòng Quản trị ứng dụng", "Lỗi sản phẩm"):
        _post(source, f"/tickets/{ids[2]}/escalate", reason=reason)
    _post(source, f"/tickets/{ids[2]}/comments", body="Ghi chú nội bộ", visibility="internal")
    _post(source, f"/tickets/{ids[3]}/resolve", cause="software_bug", reason="Lỗi trình điều khiển")
    before = _settled(source, ids, {ids[1]: "L2", ids[2]: "L4"})
    assert before["known_errors"]["data"], "the software bug opened no known error"

    made = source.backup_tool("create")
    assert made.returncode == 0, made.stderr
    archive = Path(made.stdout.strip().split()[-1])
    assert archive.is_file() and archive.stat().st_mode & 0o077 == 0
    assert "admin-token" in source.backup_tool("list").stdout
    source.stop()

    target = _instance()
    instances.append(target)
    restored = target.backup_tool("restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert (target.state / "admin-token").read_text() == (source.state / "admin-token").read_text()
    assert (target.state / "internal-key").read_text() == (
        source.state / "internal-key"
    ).read_text()
    again = target.backup_tool("restore", str(archive))
    assert again.returncode == 1 and "not fresh" in again.stderr

    target.start()
    assert _observed(target, ids) == before
    running = target.backup_tool("restore", "--replace-existing", str(archive))
    assert running.returncode == 1 and "is running" in running.stderr

    # The relays republish every event to the new, empty broker; consumers must skip them all.
    probe = _post(target, "/tickets", **web_ticket("Không đăng nhập được TABMIS sau khôi phục"))
    _settled(target, [probe["id"]], {})
    assert _settled(target, ids, {}) == before
    assert _get(target, "/tickets?limit=1", {"Authorization": f"Bearer {hni['token']}"})["count"]
