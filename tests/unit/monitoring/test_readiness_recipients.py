"""The report's recipients are catalog data, validated at start-up with file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from libs.catalog import CatalogError, load_catalog
from services.monitoring.adapters.readiness_recipients import lead_of, load_recipients

CATALOG = Path(__file__).resolve().parents[3] / "catalog"


def test_the_shipped_recipients_are_the_leaders_and_every_group_lead() -> None:
    catalog = load_catalog(CATALOG)
    recipients = load_recipients(CATALOG / "readiness_recipients.yaml", catalog)
    assert len(recipients.to) == 3 and "truongphong.htcntt@hotro.kbnn.local" in recipients.to[0]
    leads = {g.lead_email for g in catalog.groups.values()}
    assert {r.split("<")[1].rstrip(">") for r in recipients.cc} == leads
    assert lead_of(catalog, "TTSP") == ("PAYMENT", catalog.groups["PAYMENT"].lead_email)
    assert lead_of(catalog, None) == (None, None)


def test_a_broken_recipients_file_names_file_line_and_field(tmp_path: Path) -> None:
    file = tmp_path / "readiness_recipients.yaml"
    file.write_text(
        "readiness_recipients:\n"
        "  department_leaders:\n"
        "    - name: Nguyễn Văn A\n"
        "      email: not-an-address\n"
        "  group_leads: [TABMIS, KHONG_CO]\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogError) as info:
        load_recipients(file, load_catalog(CATALOG))
    assert info.value.line == 4
    assert info.value.field == "readiness_recipients.department_leaders[0].email"
    file.write_text(file.read_text().replace("not-an-address", "a@kbnn.gov.vn"), encoding="utf-8")
    with pytest.raises(CatalogError, match="KHONG_CO") as info:
        load_recipients(file, load_catalog(CATALOG))
    assert (info.value.line, info.value.field) == (5, "readiness_recipients.group_leads[1]")
