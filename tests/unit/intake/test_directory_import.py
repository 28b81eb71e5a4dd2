"""The requester directory import: CSV and JSON lines, each reject naming its line."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from libs.catalog import load_catalog
from services.intake.domain.directory import parse_directory

CATALOG = load_catalog()


def test_csv_with_catalog_units_and_declared_budget_units() -> None:
    text = (
        "name,email,phone,unit_code,unit_kind,unit_province,unit_name\n"
        "Nguyễn Thị Lan,Lan@KBNN.gov.vn,0912 345 678,kbnn-hni,,,\n"
        "Trần Văn Bình,binh@qhns.vn,,1034567,budget_unit,Đà Nẵng,Trường THPT Phan Châu Trinh\n"
    )
    entries, rejected = parse_directory(text, CATALOG)
    assert rejected == []
    lan, binh = entries
    assert (lan.email, lan.unit_code, lan.unit_kind, lan.province) == (
        "lan@kbnn.gov.vn", "KBNN-HNI", "kbnn_province", "HNI",
    )  # fmt: skip
    assert (binh.unit_kind, binh.province, binh.unit_code) == ("budget_unit", "DNG", "1034567")


def test_json_lines_reject_bad_lines_by_number_and_keep_the_rest() -> None:
    text = "\n".join(
        [
            '{"name": "Lan", "email": "lan@kbnn.gov.vn", "unit_code": "KBNN-HNI"}',
            '{"name": "X", "email": "not-an-email", "unit_code": "KBNN-HNI"}',
            "{broken",
            '{"name": "Y", "email": "y@kbnn.gov.vn", "unit_code": "KBNN-NOWHERE"}',
            '{"name": "Z", "email": "z@stc.vn", "unit": {"kind": "finance_agency", "province": "Atlantis", "name": "STC"}}',
            '{"name": "Lan 2", "email": "LAN@kbnn.gov.vn", "unit_code": "KBNN-HCM"}',
            "",
            '{"name": "Bộ Y tế", "email": "it@moh.gov.vn", "unit_code": "BO-YT"}',
        ]
    )
    entries, rejected = parse_directory(text, CATALOG)
    assert [e.email for e in entries] == ["lan@kbnn.gov.vn", "it@moh.gov.vn"]
    reasons = {r.line: r.reason for r in rejected}
    assert sorted(reasons) == [2, 3, 4, 5, 6]
    assert reasons[2].startswith("email:")
    assert reasons[3].startswith("not JSON")
    assert reasons[4].startswith("unit_code:")
    assert reasons[5].startswith("unit.province:")
    assert "line 1" in reasons[6]


def test_a_csv_without_header_is_refused_as_a_whole() -> None:
    entries, rejected = parse_directory("Lan,lan@kbnn.gov.vn,,KBNN-HNI\n", CATALOG)
    assert entries == [] and rejected[0].line == 1


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_any_text_is_entries_or_named_rejections_never_an_error(text: str) -> None:
    entries, rejected = parse_directory(text, CATALOG)
    assert all(r.line >= 1 and r.reason for r in rejected)
    assert all("\x00" not in e.name and e.email == e.email.lower() for e in entries)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["name,email,unit_code", "Lan,lan@kbnn.gov.vn,KBNN-HNI", "\r", '"', ",,", "{", "\x00"]
        ),
        max_size=8,
    )
)
def test_broken_csv_shapes_are_rejected_by_line(parts: list[str]) -> None:
    _, rejected = parse_directory("\n".join(parts), CATALOG)
    assert all(r.line >= 1 for r in rejected)
