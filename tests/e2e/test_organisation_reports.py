"""Reports group by the organisation in force in the period (issue 14).

Two requesters, a finance agency of Hà Giang and one of Tuyên Quang, file tickets in a quarter
of 2024 (imported with received_at by the integration role) and in a quarter of 2026. Hà Giang
merged into Tuyên Quang on 1 July 2025: the 2024 report counts the two provinces apart, the
2026 one only Tuyên Quang. Only the grouping is checked: the old received_at may make SLA
breaches fire at once (issue 16), which is not what this test is about.
"""

from __future__ import annotations

from typing import Any

import httpx

from services.intake.adapters.tokens import Principal
from tests.support.tickets import submit, ticket, wait_until
from tests.support.tokens import issue_token
from tools.suite import Suite

QUARTERS = {"2024-Q4": "2024-11-05T09:00:00+07:00", "2026-Q3": "2026-08-05T09:00:00+07:00"}


def _body(province: str, received_at: str) -> dict[str, Any]:
    return {
        "requester": {
            "name": f"Kế toán Sở Tài chính {province}",
            "unit": {"kind": "finance_agency", "province": province, "name": "Sở Tài chính"},
        },
        "subject": "Xin cấp tài khoản khai thác báo cáo TABMIS",
        "application_code": "TABMIS",
        "received_at": received_at,
    }


def _report(suite: Suite, token: str, label: str) -> dict[str, Any]:
    answer = httpx.get(
        f"{suite.url('intake')}/api/v1/reports/quarterly",
        params={"period": label},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    report: dict[str, Any] = answer.json()
    return report


def test_a_2024_quarter_counts_the_old_provinces_and_a_2026_one_the_new(suite: Suite) -> None:
    integration = issue_token(suite, Principal("QLYC import", "integration"))
    headers = {"Authorization": f"Bearer {integration}"}
    ids = {}
    for label, at in QUARTERS.items():
        for province in ("Hà Giang", "Tuyên Quang"):
            created = submit(suite, _body(province, at), **headers)
            assert created.status_code == 201, created.text
            ids[(label, province)] = created.json()["id"]
    # The ticket keeps the province in force on its day: Hà Giang in 2024, Tuyên Quang in 2026.
    provinces = {
        key: wait_until(lambda i=i: ticket(suite, i).get("province"), 60, "the ticket's province")
        for key, i in ids.items()
    }
    assert provinces[("2024-Q4", "Hà Giang")] == "HGG"
    assert provinces[("2026-Q3", "Hà Giang")] == "TQG"

    def grouped(label: str, want: dict[str, int]) -> dict[str, int] | None:
        by_province = _report(suite, suite.admin_token, label)["tickets"]["by_province"]
        mine = {code: by_province.get(code, 0) for code in ("HGG", "TQG")}
        return by_province if all(mine[c] >= n for c, n in want.items()) else None

    old = wait_until(lambda: grouped("2024-Q4", {"HGG": 1, "TQG": 1}), 90, "the 2024 report")
    new = wait_until(lambda: grouped("2026-Q3", {"TQG": 2}), 90, "the 2026 report")
    assert old["HGG"] >= 1 and old["TQG"] >= 1
    assert "HGG" not in new and new["TQG"] >= 2

    # Tuyên Quang's staff carry on Hà Giang: its 2024 ticket is in their queue, and only theirs.
    tuyen_quang = issue_token(suite, Principal("PTH-TQG", "province_it", province="TQG"))
    lao_cai = issue_token(suite, Principal("PTH-LCI", "province_it", province="LCI"))
    old_ha_giang = ids[("2024-Q4", "Hà Giang")]

    def listed(token: str, **params: str) -> set[str]:
        answer = httpx.get(
            f"{suite.url('intake')}/api/v1/tickets",
            params={"limit": 200, **params},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        return {row["id"] for row in answer.json()["data"]}

    assert old_ha_giang in listed(tuyen_quang) and old_ha_giang in listed(
        tuyen_quang, province="HGG"
    )
    assert old_ha_giang not in listed(lao_cai)
    read = httpx.get(
        f"{suite.url('intake')}/api/v1/tickets/{old_ha_giang}",
        headers={"Authorization": f"Bearer {tuyen_quang}"},
        timeout=30,
    )
    assert read.status_code == 200 and read.json()["province"] == "HGG"
