"""The console's templates (`templates/`) and the words and times they show: Vietnamese,
in Asia/Ho_Chi_Minh, dates as dd/mm/yyyy HH:MM."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.intake.api.requester_view import STATUS_TEXT

HERE = Path(__file__).resolve().parent
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

#: Staff words for a status (the portal's STATUS_TEXT speaks to requesters).
STATUS_LABELS = {
    **STATUS_TEXT,
    "waiting_requester": "Chờ người yêu cầu",
    "routed": "Đã phân loại",
}
ROLE_LABELS = {
    "province_it": "Cán bộ CNTT tỉnh",
    "group_agent": "Cán bộ nhóm hỗ trợ",
    "group_lead": "Trưởng nhóm hỗ trợ",
    "specialist": "Chuyên gia",
    "analyst": "Phân tích",
    "integration": "Tích hợp",
    "admin": "Quản trị",
    "requester": "Người yêu cầu",
}
QUEUE_LABELS = {
    "mine-to-handle": "Cần tôi xử lý",
    "mine-to-follow-up": "Tôi theo dõi",
    "my-group": "Nhóm của tôi",
    "my-province": "Tỉnh của tôi",
    "triage": "Phân loại (Service Desk)",
    "monitoring": "Sự cố giám sát",
    "all": "Tìm kiếm",
    "mine-area": "Tỉnh / nhóm của tôi",
}
CAUSE_LABELS = {
    "user_error": "Lỗi do người sử dụng thao tác",
    "software_bug": "Lỗi phần mềm",
    "infrastructure": "Sự cố hạ tầng",
    "configuration": "Lỗi cấu hình",
    "data": "Lỗi dữ liệu",
    "duplicate": "Trùng với yêu cầu khác",
    "fulfilled": "Đã đáp ứng yêu cầu",
}
TYPE_LABELS = {"incident": "Sự cố", "service_request": "Yêu cầu", "proposal": "Đề xuất"}
UNIT_KIND_LABELS = {
    "kbnn_province": "KBNN tỉnh",
    "kbnn_district": "KBNN khu vực / huyện",
    "kbnn_central": "Đơn vị KBNN trung ương",
    "finance_agency": "Cơ quan tài chính",
    "budget_unit": "Đơn vị sử dụng ngân sách",
    "ministry": "Bộ, ngành, cơ quan trung ương",
}
EVENT_LABELS = {
    "hotro.ticket.submitted.v1": "Tiếp nhận yêu cầu",
    "hotro.ticket.reclassified.v1": "Phân loại lại",
    "hotro.ticket.taken.v1": "Nhận xử lý",
    "hotro.ticket.transferred.v1": "Chuyển giao",
    "hotro.ticket.attachment_added.v1": "Thêm tệp đính kèm",
    "hotro.ticket.email_received.v1": "Nhận thư",
    "hotro.ticket.linked.v1": "Gắn vào yêu cầu cha",
    "hotro.ticket.unlinked.v1": "Gỡ khỏi yêu cầu cha",
    "hotro.ticket.sla_breached.v1": "Quá hạn SLA",
    "hotro.ticket.resolution_requested.v1": "Đề nghị xác nhận kết quả",
    "hotro.ticket.routed.v1": "Chuyển đến bộ phận xử lý",
    "hotro.ticket.status_changed.v1": "Đổi trạng thái",
    "hotro.ticket.commented.v1": "Trao đổi",
    "hotro.ticket.assigned.v1": "Phân công",
    "hotro.ticket.escalated.v1": "Chuyển cấp",
    "hotro.ticket.returned.v1": "Trả lời về đơn vị chủ trì",
    "hotro.ticket.sla_updated.v1": "Cập nhật thời hạn SLA",
}


def vn_time(value: datetime | str | None) -> str:
    """'01/12/2026 08:30' in Hà Nội time; empty for no time."""
    if value is None or value == "":
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return f"{moment.astimezone(LOCAL_TZ):%d/%m/%Y %H:%M}"


def label(mapping: dict[str, str], code: Any) -> str:
    return mapping.get(str(code), str(code)) if code is not None else "—"


def _choices(mapping: dict[str, Any]) -> list[tuple[str, str]]:
    """(code, "CODE — name") of a catalog table, for a select."""
    return [(code, f"{code} — {item.name}") for code, item in sorted(mapping.items())]


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(vn_time=vn_time)
    env.globals.update(
        STATUS=lambda c: label(STATUS_LABELS, c),
        ROLE=lambda c: label(ROLE_LABELS, c),
        EVENT=lambda c: label(EVENT_LABELS, c),
        CAUSE=lambda c: label(CAUSE_LABELS, c),
        TYPE=lambda c: label(TYPE_LABELS, c),
        QUEUES=QUEUE_LABELS,
        CAUSES=CAUSE_LABELS,
        TYPES=TYPE_LABELS,
        UNIT_KINDS=UNIT_KIND_LABELS,
        STATUS_CHOICES=list(STATUS_LABELS.items()),
        ROLE_CHOICES=list(ROLE_LABELS.items()),
        GROUPS=lambda catalog: _choices(catalog.groups),
        PROVINCES=lambda catalog: _choices(catalog.provinces),
        APPLICATIONS=lambda catalog: _choices(catalog.applications),
    )
    return env


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A rendered page; every page knows who is signed in (`me`) and the form token."""
    context.setdefault("me", None)
    context.setdefault("csrf", "")
    html = environment().get_template(template).render(request=request, **context)
    return HTMLResponse(html, status_code=status)
