"""Escalation's own read models, built from events like every other one:

- `escalation.ticket_facts`: number, subject, requester and type of each ticket (from intake
  and routing), for the mails escalation sends and the proposals digest;
- `escalation.sla_watch`: when each open ticket's next SLA target falls due, which the breach
  watcher scans (from escalation's own SlaUpdated events, so it survives any restart).
Breach notices to the group lead are mailed from here, once per breach event.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from libs.events.envelope import Envelope
from libs.platform.letters import letter
from libs.platform.outgoing_mail import OutgoingMail, new_message
from libs.text import vietnamese_datetime

DDL = """
CREATE TABLE IF NOT EXISTS {s}.ticket_facts (
  ticket_id uuid PRIMARY KEY, number text, subject text, requester_email text,
  requester_name text, province text, type text, application text, group_code text,
  received_at timestamptz
);
CREATE TABLE IF NOT EXISTS {s}.sla_watch (
  ticket_id uuid PRIMARY KEY, next_breach_at timestamptz, updated_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS sla_watch_due ON {s}.sla_watch (next_breach_at)
  WHERE next_breach_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS {s}.known_errors (
  id uuid PRIMARY KEY, number text, application text, department text, title text,
  status text NOT NULL DEFAULT 'open', note text, tickets uuid[] NOT NULL DEFAULT '{{}}',
  opened_at timestamptz, updated_at timestamptz
);
"""


async def ensure_tables(pool: AsyncConnectionPool[Any], schema: str) -> None:
    async with pool.connection() as conn:
        await conn.execute(DDL.format(s=f'"{schema}"'))


def projector(schema: str, mail: OutgoingMail):  # type: ignore[no-untyped-def]
    s = f'"{schema}"'

    async def project(conn: AsyncConnection[Any], e: Envelope) -> None:
        d = e.data
        if e.type == "hotro.ticket.submitted.v1":
            requester = d["requester"]
            await conn.execute(
                f"INSERT INTO {s}.ticket_facts AS f (ticket_id, number, subject, requester_email,"
                " requester_name, province, received_at) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (ticket_id) DO UPDATE SET number = EXCLUDED.number,"
                " subject = EXCLUDED.subject, requester_email = EXCLUDED.requester_email,"
                " requester_name = EXCLUDED.requester_name, province = EXCLUDED.province,"
                " received_at = EXCLUDED.received_at",
                (
                    e.subject,
                    d["number"],
                    d["subject"],
                    requester.get("email"),
                    requester.get("name"),
                    d.get("unit_province"),
                    d["received_at"],
                ),
            )
        elif e.type == "hotro.ticket.routed.v1":
            await conn.execute(
                f"INSERT INTO {s}.ticket_facts AS f (ticket_id, type, application, group_code)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (ticket_id) DO UPDATE SET"
                " type = EXCLUDED.type, application = EXCLUDED.application,"
                " group_code = EXCLUDED.group_code",
                (e.subject, d["type"], d.get("application"), d["group"]),
            )
        elif e.type == "hotro.ticket.sla_updated.v1":
            await conn.execute(
                f"INSERT INTO {s}.sla_watch AS w (ticket_id, next_breach_at, updated_at)"
                " VALUES (%s, %s, %s) ON CONFLICT (ticket_id) DO UPDATE SET"
                " next_breach_at = EXCLUDED.next_breach_at, updated_at = EXCLUDED.updated_at"
                " WHERE w.updated_at <= EXCLUDED.updated_at",
                (e.subject, d.get("next_breach_at"), d["at"]),
            )
        elif e.type == "hotro.ticket.sla_breached.v1" and d.get("group_lead"):
            await _mail_group_lead(conn, s, e, mail)
        elif e.type == "hotro.known_error.changed.v1":
            await _known_error(conn, s, e, mail)

    return project


KIND_VI = {"response": "phản hồi", "resolution": "xử lý"}


async def _mail_group_lead(
    conn: AsyncConnection[Any], s: str, e: Envelope, mail: OutgoingMail
) -> None:
    cur = await conn.execute(
        f"SELECT number, subject FROM {s}.ticket_facts WHERE ticket_id = %s", (e.subject,)
    )
    row = await cur.fetchone()
    number, subject = (row[0], row[1]) if row else (e.subject, "")
    kind = KIND_VI.get(e.data["kind"], e.data["kind"])
    body = letter(
        "",
        f'Yêu cầu {number} "{subject}" đã quá hạn {kind} theo SLA '
        f"(hạn {vietnamese_datetime(e.data['due'])}).\n"
        "Hệ thống đã tự động chuyển yêu cầu lên cấp hỗ trợ tiếp theo. "
        "Đề nghị đồng chí theo dõi và chỉ đạo xử lý.",
        title="Trưởng nhóm",
    )
    message = new_message(e.data["group_lead"], f"[{number}] Quá hạn SLA {kind}", body)
    await mail.send(message, dedupe_key=f"breach:{e.id}")


async def _known_error(conn: AsyncConnection[Any], s: str, e: Envelope, mail: OutgoingMail) -> None:
    d = e.data
    if d["change"] == "opened":
        await conn.execute(
            f"INSERT INTO {s}.known_errors (id, number, application, department, title, status,"
            " tickets, opened_at, updated_at) VALUES (%s, %s, %s, %s, %s, 'open', ARRAY[%s::uuid],"
            " %s, %s) ON CONFLICT (id) DO NOTHING",
            (
                d["known_error_id"],
                d["number"],
                d["application"],
                d["department"],
                d["title"],
                d["ticket_id"],
                d["at"],
                d["at"],
            ),
        )
    elif d["change"] == "joined":
        await conn.execute(
            f"UPDATE {s}.known_errors SET tickets = array_append(tickets, %s::uuid),"
            " updated_at = %s WHERE id = %s AND NOT (%s::uuid = ANY(tickets))",
            (d["ticket_id"], d["at"], d["known_error_id"], d["ticket_id"]),
        )
    else:
        await conn.execute(
            f"UPDATE {s}.known_errors SET status = %s, note = %s, updated_at = %s WHERE id = %s",
            (d["status"], d.get("note", ""), d["at"], d["known_error_id"]),
        )
        if d["status"] == "released":
            await _tell_requesters_of_release(conn, s, e, mail)


async def _tell_requesters_of_release(
    conn: AsyncConnection[Any], s: str, e: Envelope, mail: OutgoingMail
) -> None:
    """Every linked ticket's requester hears that the fix is out (SPEC §4)."""
    cur = await conn.execute(
        f"SELECT k.number, k.title, f.ticket_id, f.number, f.subject, f.requester_email,"
        f" f.requester_name FROM {s}.known_errors k JOIN {s}.ticket_facts f"
        " ON f.ticket_id = ANY(k.tickets) WHERE k.id = %s",
        (e.data["known_error_id"],),
    )
    for ke_number, title, ticket_id, number, subject, email, name in await cur.fetchall():
        if not email:
            continue
        body = letter(
            name or "",
            f'Lỗi phần mềm liên quan đến yêu cầu {number} "{subject}" ({ke_number}: {title}) '
            "đã được khắc phục và bản sửa lỗi đã được phát hành "
            f"lúc {vietnamese_datetime(e.data.get('at'))}.",
            str(e.data.get("note") or ""),
            "Nếu sự cố vẫn còn, anh/chị vui lòng trả lời thư này để mở lại yêu cầu.",
        )
        message = new_message(email, f"[{number}] Đã phát hành bản sửa lỗi {ke_number}", body)
        await mail.send(message, dedupe_key=f"released:{e.id}:{ticket_id}")
