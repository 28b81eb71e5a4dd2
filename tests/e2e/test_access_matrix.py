"""Access, proven by a matrix (SPEC §8, issue 17): tests/data/access_matrix.yaml holds every
gateway operation × every role × own / other ticket → the outcome; this walks it against the
running suite, with 0 leaks: no list, search, queue, known error or digest names a ticket the
caller may not read, a requester sees only the requester's view, and nothing a caller was
refused ever shows up in a ticket's history."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from services.intake.adapters.tokens import Principal
from services.intake.api.requester_view import RequesterTicket
from tests.support.agents import register_agent
from tests.support.mail import message
from tests.support.tickets import wait_until
from tests.support.tokens import issue_token
from tools.suite import ROOT, Suite

MATRIX: dict[str, Any] = yaml.safe_load(
    (Path(ROOT) / "tests" / "data" / "access_matrix.yaml").read_text(encoding="utf-8")
)
API = "/api/v1"
SIDES = ("own", "other")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
REFUSED = (401, 403, 404)
#: Fields of the staff view a requester must never receive.
STAFF_ONLY = {"owner", "handler", "tier", "group", "sla", "priority", "assignee", "first_handler",
              "classification", "type", "undeliverable", "province"}  # fmt: skip


@dataclass
class World:
    """The callers' tokens and the tickets the matrix is tried on, as the suite has them."""

    tokens: dict[str, str | None]
    pairs: dict[str, dict[str, dict[str, Any]]]
    known_error: str
    mail_id: str
    month: str
    token_id: str
    province_of: dict[str, str | None] = field(default_factory=dict)


def _client(suite: Suite, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=f"{suite.url('intake')}{API}", headers=headers, timeout=60)


def _admin(suite: Suite) -> httpx.Client:
    return _client(suite, suite.admin_token)


def _view(suite: Suite, ticket_id: str) -> dict[str, Any]:
    with _admin(suite) as admin:
        response = admin.get(f"/tickets/{ticket_id}")
    response.raise_for_status()
    found: dict[str, Any] = response.json()
    return found


def _open_ticket(suite: Suite, side: dict[str, Any], pair: str, **extra: Any) -> str:
    body = {
        "requester": side["requester"],
        "application_code": side["application_code"],
        "subject": side["subject"],
        "description": f"Mã kiểm thử matran-{pair}.",
        **extra,
    }
    with _admin(suite) as admin:
        if pair == "read":  # files to download
            part = httpx.Request("POST", "/", json=body).content
            files = [
                ("ticket", (None, part, "application/json")),
                ("attachments", ("màn hình lỗi.png", PNG, "image/png")),
            ]
            response = admin.post("/tickets", files=files)
        else:
            response = admin.post("/tickets", json=body)
    assert response.status_code == 201, response.text
    ticket_id: str = response.json()["id"]
    return ticket_id


def _at_tier(suite: Suite, ticket_id: str, tier: str, side: dict[str, Any]) -> dict[str, Any]:
    view: dict[str, Any] = wait_until(
        lambda: (v := _view(suite, ticket_id)).get("tier") == tier and v, 90, f"{tier}"
    )
    assert (view["province"], view["group"]) == (side["province"], side["group"]), view
    return view


def _climb(suite: Suite, ticket_id: str, tier: str, side: dict[str, Any]) -> dict[str, Any]:
    view = _at_tier(suite, ticket_id, "L1", side)
    for step in ("L2", "L3")[: ("L1", "L2", "L3").index(tier)]:
        with _admin(suite) as admin:
            moved = admin.post(f"/tickets/{ticket_id}/escalate", json={"reason": "ma trận"})
        assert moved.status_code == 200, moved.text
        view = _at_tier(suite, ticket_id, step, side)
    return view


def _known_error(suite: Suite) -> str:
    """A software defect in each province, so known errors name tickets of both."""
    ids = []
    for name, side in MATRIX["sides"].items():
        ticket_id = _open_ticket(suite, side, f"known-{name}")
        _at_tier(suite, ticket_id, "L1", side)
        with _admin(suite) as admin:
            resolved = admin.post(
                f"/tickets/{ticket_id}/resolve",
                json={"cause": "software_bug", "reason": "Lỗi phần mềm (ma trận)"},
            )
        assert resolved.status_code == 200, resolved.text
        ids.append(ticket_id)

    def filed() -> str | None:
        with _admin(suite) as admin:
            errors = admin.get("/known-errors").json()["data"]
        linked = {t for e in errors for t in e["tickets"]}
        own = next((e["id"] for e in errors if ids[0] in e["tickets"]), None)
        return own if set(ids) <= linked else None

    found: str = wait_until(filed, 90, "both defects in the known errors")
    return found


def _proposals(suite: Suite) -> str:
    """Last month's proposals in each province, so the digest names tickets of both."""
    last_month = (datetime.now(UTC).replace(day=1) - timedelta(days=1)).replace(day=15)
    month = last_month.strftime("%Y-%m")
    numbers = []
    for name, side in MATRIX["sides"].items():
        proposal = {
            **side,
            "subject": f"Đề xuất bổ sung báo cáo tổng hợp số dư trên {side['application_code']}",
        }
        ticket_id = _open_ticket(
            suite,
            proposal,
            f"proposal-{name}",
            description="Kính đề xuất bổ sung mẫu báo cáo mới.",
            received_at=last_month.isoformat(),
        )
        view = wait_until(
            lambda t=ticket_id: (v := _view(suite, t)).get("type") == "proposal" and v,
            90,
            "a proposal",
        )
        numbers.append(view["number"])

    def in_digest() -> bool:
        with _admin(suite) as admin:
            text = admin.get("/proposals/digest", params={"month": month}).text
        return all(n in text for n in numbers)

    wait_until(in_digest, 90, "both proposals in the digest")
    return month


def _assignee_at(office: str | None) -> str:
    return f"Cán bộ ma trận {office}"


def _principal(who: dict[str, str]) -> Principal:
    return Principal(
        who["name"], who["role"], who.get("province"), who.get("group"), who.get("email")
    )


@pytest.fixture(scope="module")
def suite_env() -> dict[str, str]:
    """The walk makes hundreds of calls without a token from one address in a few minutes:
    the per-address budget for them (tested in test_limits.py) is off here, so every row
    answers what access decides, not 429."""
    return {"HOTRO_RATE_PUBLIC": "0"}


@pytest.fixture(scope="module")
def world(suite: Suite) -> World:
    tokens: dict[str, str | None] = {
        name: issue_token(suite, _principal(who)) if who else None
        for name, who in MATRIX["callers"].items()
    }
    pairs: dict[str, dict[str, dict[str, Any]]] = {}
    opened = {
        pair: {name: _open_ticket(suite, side, pair) for name, side in MATRIX["sides"].items()}
        for pair in MATRIX["tickets"]
    }
    for pair, spec in MATRIX["tickets"].items():
        pairs[pair] = {
            name: _climb(suite, opened[pair][name], spec["tier"], side)
            for name, side in MATRIX["sides"].items()
        }
    for view in pairs["ladder_l1"].values():  # `assign` names a person working there
        register_agent(suite, _assignee_at(view["handler"]), view["handler"])
    for name in SIDES:  # the files of the read pair are in the view before anyone asks
        pairs["read"][name] = wait_until(
            lambda n=name: (v := _view(suite, opened["read"][n]))["attachments"] and v, 30, "file"
        )
    with _admin(suite) as admin:
        mail = admin.post(
            "/inbound/email",
            content=message("Hỏi về TABMIS", "Xin hỗ trợ.", f"{secrets.token_hex(8)}@kbnn.gov.vn"),
            headers={"Content-Type": "message/rfc822"},
        )
        spare = admin.post("/tokens", json={"name": "Mã để thu hồi", "role": "analyst"})
    assert mail.status_code == 202, mail.text
    assert spare.status_code == 201, spare.text
    world = World(
        tokens,
        pairs,
        _known_error(suite),
        mail.json()["mail_id"],
        _proposals(suite),
        spare.json()["id"],
    )
    with _admin(suite) as admin:
        for row in admin.get("/tickets", params={"limit": 200}).json()["data"]:
            world.province_of[row["id"]] = row["province"]
    return world


# --- walking the matrix ------------------------------------------------------------------


def outcome(status: int) -> str | int:
    """`ok` when access was granted: 2xx, or 409 (the domain refused the move afterwards)."""
    return "ok" if 200 <= status < 300 or status == 409 else status


def _fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return re.sub(r"\{(\w+)\}", lambda m: names.get(m.group(1), m.group(0)), value)
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    return value


def _names(world: World, op: dict[str, Any], side: str | None) -> dict[str, str]:
    names = {
        "marker": f"mx{secrets.token_hex(5)}",
        "unique": secrets.token_hex(4),
        "known_error": world.known_error,
        "mail_id": world.mail_id,
        "month": world.month,
        "token_id": world.token_id,
        "requester_email": MATRIX["callers"]["requester"]["email"],
        **op.get("path_params", {}),
    }
    if side is not None:
        view = world.pairs[op["ticket"]][side]
        names |= {"ticket": view["id"], "number": view["number"]}
        names |= {"priority": view.get("priority") or "P3", "subject": view.get("subject") or ""}
        names["assignee"] = _assignee_at(view.get("handler"))
        if view["attachments"]:
            names["attachment"] = view["attachments"][0]["attachment_id"]
    return names


def _request(client: httpx.Client, op: dict[str, Any], names: dict[str, str]) -> httpx.Response:
    kwargs: dict[str, Any] = {"params": _fill(op.get("params"), names)}
    if "json" in op:
        kwargs["json"] = _fill(op["json"], names)
    if op.get("files"):
        kwargs["files"] = [("attachments", (f"{names['marker']}.png", PNG, "image/png"))]
    if op.get("mail"):
        marker = names["marker"]
        kwargs["content"] = message(f"Báo lỗi {marker}", "Xin hỗ trợ.", f"{marker}@kbnn.gov.vn")
        kwargs["headers"] = {"Content-Type": "message/rfc822"}
    if "ndjson" in op:
        kwargs["content"] = httpx.Request("POST", "/", json=_fill(op["ndjson"], names)).content
        kwargs["headers"] = {"Content-Type": "application/x-ndjson"}
    return client.request(op["method"], _fill(op["path"], names), **kwargs)


@dataclass
class Walk:
    mismatches: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    refused_markers: set[str] = field(default_factory=set)
    granted_comments: set[str] = field(default_factory=set)
    calls: int = 0


def _leaks(world: World, caller: str, op: dict[str, Any], payload: Any) -> list[str]:
    """What this answer shows that the caller may not read (SPEC §8)."""
    who = MATRIX["callers"][caller]
    role, found = who.get("role"), []
    if op.get("lists") == "tickets":
        for row in payload["data"]:
            if role == "requester" and row["requester"].get("email") != who["email"]:
                found.append(f"{row['number']} of {row['requester'].get('email')}")
            if role == "requester" and STAFF_ONLY & set(row):
                found.append(f"{row['number']}: staff fields {sorted(STAFF_ONLY & set(row))}")
            if role == "province_it" and row["province"] != who["province"]:
                found.append(f"{row['number']} of province {row['province']}")
    if op.get("lists") == "known_errors" and role == "province_it":
        for error in payload["data"]:
            found += [
                f"known error {error['number']} names {t} of {world.province_of.get(t)}"
                for t in error["tickets"]
                if world.province_of.get(t) != who["province"]
            ]
    if op.get("lists") == "digest" and role == "province_it":
        for entry in payload["departments"]:
            found += [
                f"digest names {p['number']} of {p['province']}"
                for p in entry["proposals"]
                if p["province"] != who["province"]
            ]
    if op.get("shows") == "ticket" and role == "requester":
        extra = set(payload) - set(RequesterTicket.model_fields)
        if extra:
            found.append(f"requester got fields {sorted(extra)}")
        kinds = {e["kind"] for e in payload["history"]}
        if kinds - {"submitted", "comment", "status", "attachment"}:
            found.append(f"requester got history kinds {kinds}")
    return found


def _walk(suite: Suite, world: World) -> Walk:
    walk = Walk()
    clients = {name: _client(suite, token) for name, token in world.tokens.items()}
    try:
        for op in MATRIX["operations"]:
            for caller, client in clients.items():
                expected_by_side = op["expect"][caller]
                for side in SIDES if "ticket" in op else (None,):
                    expected = expected_by_side[side] if side else expected_by_side
                    names = _names(world, op, side)
                    response = _request(client, op, names)
                    walk.calls += 1
                    got = outcome(response.status_code)
                    where = f"{op['id']} as {caller}" + (f" on the {side} ticket" if side else "")
                    if got != expected:
                        walk.mismatches.append(
                            f"{where}: expected {expected}, got {response.status_code}"
                            f" {response.text[:300]}"
                        )
                        continue
                    if response.status_code in REFUSED:
                        walk.refused_markers.add(names["marker"])
                    elif response.status_code == 200 and ("lists" in op or "shows" in op):
                        leaks = _leaks(world, caller, op, response.json())
                        walk.leaks += [f"{where}: {leak}" for leak in leaks]
                    elif op["id"] == "tickets.comment.public" and response.status_code == 201:
                        walk.granted_comments.add(names["marker"])
    finally:
        for client in clients.values():
            client.close()
    return walk


def test_every_operation_answers_every_role_as_the_matrix_says_with_no_leak(
    suite: Suite, world: World
) -> None:
    walk = _walk(suite, world)
    print(f"access matrix: {walk.calls} calls, {len(walk.mismatches)} mismatches", end=", ")
    print(f"{len(walk.leaks)} leaks")
    assert not walk.mismatches, "\n".join(walk.mismatches)
    assert not walk.leaks, "\n".join(walk.leaks)
    callers = len(MATRIX["callers"])
    assert walk.calls == sum(callers * (2 if "ticket" in op else 1) for op in MATRIX["operations"])
    assert walk.refused_markers and walk.granted_comments

    # Nothing a caller was refused was written: once the granted replies are in the views,
    # no refused call's marker is in any ticket (history, fields, search) or known error.
    def everything() -> str:
        with _admin(suite) as admin:
            tickets = admin.get("/tickets", params={"limit": 200}).json()["data"]
            views = [admin.get(f"/tickets/{t['id']}").text for t in tickets]
            return "\n".join([*views, admin.get("/known-errors").text])

    def settled() -> str | None:
        text = everything()
        return text if all(m in text for m in walk.granted_comments) else None

    text = wait_until(settled, 60, "the granted replies in the views")
    written = sorted(m for m in walk.refused_markers if m in text)
    assert not written, f"refused calls left a trace: {written}"
    analyst = MATRIX["callers"]["analyst"]["name"]
    assert analyst not in text, "an analyst never writes"


def test_the_matrix_names_every_operation_of_the_gateway(suite: Suite) -> None:
    """A new route needs its row: the matrix and the OpenAPI document list the same operations."""
    document = httpx.get(f"{suite.url('intake')}{API}/openapi.json", timeout=30).json()

    def shape(path: str) -> str:
        return re.sub(r"\{\w+\}", "{}", path)

    served = {
        (method.upper(), shape(path.removeprefix(API)))
        for path, operations in document["paths"].items()
        if path.startswith(API)
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }
    listed = {(op["method"], shape(op["path"])) for op in MATRIX["operations"]}
    assert served - listed == set(), "operations without a row in tests/data/access_matrix.yaml"
    assert listed - served == set(), "rows for operations the gateway does not serve"
    roles = {who.get("role") for who in MATRIX["callers"].values()} - {None}
    assert roles == {"requester", "province_it", "group_agent", "group_lead", "specialist",
                     "analyst", "integration", "admin"}  # fmt: skip
    for op in MATRIX["operations"]:
        assert set(op["expect"]) == set(MATRIX["callers"]), op["id"]
