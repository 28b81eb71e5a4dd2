"""The monthly proposals digest: `proposal` tickets gathered per responsible department."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from libs.catalog.model import Catalog
from libs.platform.letters import letter
from libs.text import vietnamese_datetime

#: Proposals about no particular application go to the Service Desk, which owns the process.
NO_APPLICATION = "SERVICE_DESK"


class ProposalLine(NamedTuple):
    ticket_id: str
    number: str | None
    subject: str | None
    application: str | None
    province: str | None
    received_at: datetime | None


def digest_by_department(lines: list[ProposalLine], catalog: Catalog) -> list[dict[str, Any]]:
    grouped: dict[str, list[ProposalLine]] = defaultdict(list)
    for line in lines:
        app = catalog.applications.get(line.application or "")
        grouped[app.specialist_department if app else NO_APPLICATION].append(line)
    digest = []
    for code in sorted(grouped):
        department = catalog.departments.get(code)
        group = catalog.groups.get(code)
        digest.append(
            {
                "department": code,
                "name": department.name if department else (group.name if group else code),
                "email": department.email if department else (group.lead_email if group else ""),
                "count": len(grouped[code]),
                "proposals": [
                    {
                        "ticket_id": p.ticket_id,
                        "number": p.number,
                        "subject": p.subject,
                        "application": p.application,
                        "province": p.province,
                        "received_at": p.received_at.isoformat() if p.received_at else None,
                    }
                    for p in grouped[code]
                ],
            }
        )
    return digest


def digest_mail(month: str, entry: dict[str, Any]) -> tuple[str, str]:
    """Subject and body of one department's digest, in Vietnamese."""
    year, number = month.split("-")
    lines = [
        f"- {p['number']} ({p['application'] or 'chung'}, {p['province'] or 'trung ương'}, "
        f"tiếp nhận {vietnamese_datetime(p['received_at'])}): {p['subject']}"
        for p in entry["proposals"]
    ]
    body = letter(
        entry["name"],
        f"Tháng {int(number)}/{year}, hệ thống Hotro đã tiếp nhận {entry['count']} góp ý, "
        "đề xuất thuộc phạm vi của đơn vị:",
        "\n".join(lines),
        "Đề nghị đơn vị xem xét và phản hồi.",
        title="",
    )
    return f"[Hotro] Tổng hợp góp ý, đề xuất tháng {int(number)}/{year}", body


VN = ZoneInfo("Asia/Ho_Chi_Minh")


def previous_month(now: datetime) -> str:
    """The month (YYYY-MM) that a digest sent at `now`, Hà Nội time, covers."""
    local = now.astimezone(VN)
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return f"{year:04d}-{month:02d}"
