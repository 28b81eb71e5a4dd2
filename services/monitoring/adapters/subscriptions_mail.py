"""The subscribers' mail: the confirmation link, and a message for each new notice and each
resolution (an announcement resolved, a maintenance completed or cancelled).

Notice mail follows the notice's event on monitoring's own topic (a consumer, never the
request that published it), through `OutgoingMail` with one dedupe key per event and
subscriber, so a redelivered event mails nobody twice.
"""

from __future__ import annotations

import logging
from datetime import datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote

from psycopg import AsyncConnection, sql

from libs.events.envelope import Envelope
from libs.events.schemas import NoticePublished, NoticeUpdated
from libs.platform.outgoing_mail import OutgoingMail, new_message
from services.monitoring.adapters.status_render import render
from services.monitoring.adapters.subscriptions import (
    CONFIRM_VALID,
    Pending,
    Subscriber,
    SubscriptionStore,
    public_url,
    token_hash,
)
from services.monitoring.domain.notices import ANNOUNCEMENT, FINAL, KIND_LABELS, STATUS_LABELS

log = logging.getLogger(__name__)
LIST_ID = "Trang thai he thong KBNN <status.hotro.kbnn.gov.vn>"


def link(path: str, token: str) -> str:
    return f"{public_url()}{path}?token={quote(token)}"


def confirmation_message(pending: Pending) -> EmailMessage:
    body = render(
        "mail_confirm.txt",
        email=pending.subscriber.email,
        link=link("/status/subscriptions/confirm", pending.token),
        days=CONFIRM_VALID.days,
        page=f"{public_url()}/status",
    )
    return new_message(
        pending.subscriber.email,
        "Xác nhận đăng ký nhận thông báo trạng thái hệ thống KBNN",
        body,
    )


def notice_subject(kind: str, status: str, title: str, first: bool) -> str:
    if first:
        return f"[{KIND_LABELS[kind]}] {title}"
    return f"[{STATUS_LABELS[status]}] {title}"


def wants_mail(envelope: Envelope) -> bool:
    """New notices and resolutions are mailed; intermediate updates are on the page only."""
    if envelope.type == NoticePublished.TYPE:
        return True
    return envelope.type == NoticeUpdated.TYPE and envelope.data.get("status") in FINAL


class SubscriberMailer:
    def __init__(
        self,
        subscriptions: SubscriptionStore,
        outgoing: OutgoingMail,
        names: dict[str, str],
        clock: Any,
    ) -> None:
        self.subscriptions = subscriptions
        self.outgoing = outgoing
        self.names = names
        self.clock = clock

    async def send_confirmation(self, pending: Pending) -> None:
        key = f"status-confirm:{token_hash(pending.token)}"
        await self.outgoing.send(confirmation_message(pending), key)

    async def project(self, _conn: AsyncConnection[Any], envelope: Envelope) -> None:
        """The ProjectionSink hook: mail every matching confirmed subscriber once."""
        if not wants_mail(envelope):
            return
        data = envelope.data
        subscribers = await self.subscriptions.confirmed_for(list(data.get("applications") or []))
        done = await self._already_sent(envelope)
        for subscriber in subscribers:
            key = f"status:{envelope.id}:{subscriber.id}"
            if key in done:
                continue
            message = await self._notice_message(envelope, subscriber)
            if await self.outgoing.send(message, dedupe_key=key):
                log.info(
                    "status notice mailed",
                    extra={"event_id": envelope.id, "notice_id": envelope.subject},
                )

    async def _already_sent(self, envelope: Envelope) -> set[str]:
        table = sql.Identifier(self.outgoing.schema, "outgoing_mail")
        async with self.outgoing.pool.connection() as conn:
            cur = await conn.execute(
                sql.SQL("SELECT dedupe_key FROM {} WHERE dedupe_key LIKE %s").format(table),
                (f"status:{envelope.id}:%",),
            )
            return {r[0] for r in await cur.fetchall()}

    async def _notice_message(self, envelope: Envelope, subscriber: Subscriber) -> EmailMessage:
        data = envelope.data
        first = envelope.type == NoticePublished.TYPE
        token = await self.subscriptions.unsubscribe_token(subscriber.id, self.clock())
        unsubscribe = link("/status/subscriptions/unsubscribe", token)
        kind = str(data["kind"])
        body = render(
            "mail_notice.txt",
            first=first,
            kind=kind,
            announcement=kind == ANNOUNCEMENT,
            data=data,
            systems=[f"{self.names.get(c, c)} ({c})" for c in data.get("applications") or []],
            page=f"{public_url()}/status",
            unsubscribe=unsubscribe,
            at=datetime.fromisoformat(str(data["at"])),
        )
        return new_message(
            subscriber.email,
            notice_subject(kind, str(data["status"]), str(data.get("title") or ""), first),
            body,
            List_Unsubscribe=f"<{unsubscribe}>",
            List_Unsubscribe_Post="List-Unsubscribe=One-Click",
            List_Id=LIST_ID,
            Precedence="bulk",
        )
