"""Pure parts of issue 13's queues, catalog search, directory template and messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from libs.catalog import load_catalog
from services.intake.api.catalog import matches, offices_of
from services.intake.api.errors import FieldError
from services.intake.api.query import one_of
from services.intake.api.queue_filters import TicketFilters, queue_where
from services.intake.api.requesters import CSV_COLUMNS, TEMPLATE
from services.intake.domain.access import Principal, TicketScope, check_may, check_role
from services.intake.domain.directory import parse_directory
from services.intake.domain.lifecycle import TransitionRefused, next_status

CATALOG = load_catalog()


def test_repeated_and_comma_separated_values_mean_any_of_and_codes_ignore_case() -> None:
    assert one_of(
        "group", ["tabmis", "Payment,service_desk"], ["TABMIS", "PAYMENT", "SERVICE_DESK"]
    ) == ["TABMIS", "PAYMENT", "SERVICE_DESK"]
    assert one_of("status", ["CLOSED"], ["closed"], upper=False) == ["closed"]
    assert one_of("status", None, ["closed"]) is None


def test_an_unknown_value_is_a_422_naming_the_field_and_where_the_codes_are() -> None:
    with pytest.raises(FieldError) as refused:
        one_of("unit", ["KBNN-NOWHERE"], CATALOG.units, where="/api/v1/catalog/units")
    assert refused.value.loc == ("query", "unit")
    assert "KBNN-NOWHERE" in refused.value.reason
    assert "/api/v1/catalog/units" in refused.value.reason
    with pytest.raises(FieldError) as priority:
        one_of("priority", ["P9"], ["P1", "P2", "P3", "P4"])
    assert "P1, P2, P3, P4" in priority.value.reason


def test_queue_filters_become_view_columns() -> None:
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    where = queue_where(
        TicketFilters(
            status=["routed", "WAITING_REQUESTER"],
            province=[next(iter(CATALOG.provinces)).lower()],
            priority=["p1", "p2"],
            assignee=["  Lê Văn Tâm "],
            breached=True,
            due_within_hours=4,
        ),
        CATALOG,
        now=now,
    )
    assert where.columns["status"] == ["routed", "waiting_requester"]
    assert where.columns["province"] == [next(iter(CATALOG.provinces))]
    assert where.columns["priority"] == ["P1", "P2"]
    assert where.columns["lower(assignee)"] == ["lê văn tâm"]
    assert where.columns["due_at <="] == now + timedelta(hours=4)
    assert where.extra == ["breached IS TRUE"]
    assert "group_code" not in where.columns


def test_a_province_may_be_named_as_well_as_coded() -> None:
    province = next(iter(CATALOG.provinces.values()))
    where = queue_where(TicketFilters(province=[province.name]), CATALOG)
    assert where.columns["province"] == [province.code]


def test_catalog_search_matches_the_beginnings_of_words_without_diacritics() -> None:
    assert matches("ha noi", "KBNN-HNI", "Kho bạc Nhà nước Hà Nội")
    assert matches("hni", "KBNN-HNI", "Kho bạc Nhà nước Hà Nội")
    assert matches("thanh toan", "PAYMENT", "Nhóm Thanh toán")
    assert not matches("anh", "PAYMENT", "Nhóm Thanh toán")
    assert matches(None, "anything")


def test_offices_cover_every_step_of_the_ladder() -> None:
    kinds = {o["kind"] for o in offices_of(CATALOG)}
    assert {"it_office", "group", "specialist", "ito"} <= kinds
    codes = {o["code"] for o in offices_of(CATALOG)}
    assert set(CATALOG.groups) <= codes and set(CATALOG.departments) <= codes


def test_the_directory_template_imports_as_it_is_and_names_every_column() -> None:
    assert TEMPLATE.splitlines()[0].lstrip("\ufeff") == ",".join(CSV_COLUMNS)
    entries, rejected = parse_directory(TEMPLATE, CATALOG)
    assert rejected == []
    assert len(entries) == 2


def test_a_json_array_is_taken_as_entries_numbered_from_one() -> None:
    text = (
        '[{"name": "Lan", "email": "lan@kbnn.gov.vn", "unit_code": "KBNN-HNI"},\n'
        ' {"name": "X", "email": "nope", "unit_code": "KBNN-HNI"}, 7]'
    )
    entries, rejected = parse_directory(text, CATALOG)
    assert [e.email for e in entries] == ["lan@kbnn.gov.vn"]
    assert [(r.line, r.reason.split(":")[0]) for r in rejected] == [
        (2, "email"),
        (3, "not a JSON object"),
    ]
    _, broken = parse_directory("[{", CATALOG)
    assert broken[0].reason.startswith("not JSON")


def test_refusals_are_whole_sentences_in_each_language_without_internal_names() -> None:
    requester = Principal("Lan", "requester", email="lan@kbnn.gov.vn")
    scope = TicketScope("HNI", "TABMIS", "lan@kbnn.gov.vn")
    with pytest.raises(PermissionError) as note:
        check_may(requester, "comment_internal", scope)
    assert "comment_internal" not in str(note.value)
    vi, en = str(note.value).split(" / ")
    assert "ghi chú nội bộ" in vi and "write internal notes" in en
    with pytest.raises(PermissionError) as tokens:
        check_role(
            Principal("HNI", "province_it", province="HNI"),
            {"admin"},
            "cấp mã truy cập / issue tokens",
        )
    vi, en = str(tokens.value).split(" / ")
    assert vi == "Vai trò cán bộ tin học tỉnh không được cấp mã truy cập."
    assert en == "The province_it role may not issue tokens."


def test_a_refused_move_says_what_is_possible_instead() -> None:
    with pytest.raises(TransitionRefused) as closed:
        next_status("reopen", "closed", "YC-2026-000001")
    message = str(closed.value)
    assert "yêu cầu mới" in message and "submit a new request" in message
    assert "reopen it first" not in message
    with pytest.raises(TransitionRefused) as waiting:
        next_status("start", "waiting_requester")
    assert "From here you can: resume, resolve." in str(waiting.value)
