"""The scheduled reports' recipients: catalog data, refused with file, line, field and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from libs.catalog import CatalogError, load_catalog
from services.reporting.adapters.report_recipients import load_report_recipients

CATALOG = load_catalog()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "report_recipients.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_unknown_province_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, (
        "report_recipients:\n"
        "  provinces:\n"
        "    - {province: HNI, name: PTH Hà Nội, email: pth.hni@kbnn.test}\n"
        "    - {province: XXX, name: Không có, email: x@kbnn.test}\n"
    ))  # fmt: skip
    with pytest.raises(CatalogError) as refused:
        load_report_recipients(path, CATALOG)
    assert refused.value.line == 4
    assert "provinces[1].province" in str(refused.value) and "'XXX'" in str(refused.value)


def test_an_unknown_report_kind_and_a_bad_address_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, (
        "report_recipients:\n"
        "  central:\n"
        "    - {name: Lãnh đạo, email: not-an-address, reports: [daily]}\n"
    ))  # fmt: skip
    with pytest.raises(CatalogError) as refused:
        load_report_recipients(path, CATALOG)
    text = str(refused.value)
    assert "central[0].email" in text and "central[0].reports[0]" in text


def test_a_province_gets_the_monthly_report_unless_told_otherwise(tmp_path: Path) -> None:
    path = write(tmp_path, (
        "report_recipients:\n"
        "  provinces:\n"
        "    - {province: HCM, name: PTH TP HCM, email: pth.hcm@kbnn.test}\n"
    ))  # fmt: skip
    (recipient,) = load_report_recipients(path, CATALOG)
    assert (recipient.province, recipient.kinds) == ("HCM", frozenset({"monthly"}))
    assert recipient.header == "PTH TP HCM <pth.hcm@kbnn.test>"
