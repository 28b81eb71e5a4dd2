"""Sustained traffic on every channel of intake while the faults happen (issue 17).

Requests arrive at random (Poisson) times at each channel's rate, each channel with a few in
flight at once, as many users would send them: web tickets, phone calls logged by the desk,
mail over SMTP and over HTTP, replies by mail to tickets already open, operators walking
tickets up and down the ladder, and requests the gateway must refuse. Every request goes in
the ledger with its tag and what the client was finally told.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.mail import message
from tests.support.tickets import web_ticket
from tools.chaos.clients import (
    NOT_YET,
    Patience,
    number_in,
    send_http,
    send_smtp,
    settle_http,
)
from tools.chaos.ledger import DIVERTED, IN_DOUBT, Ledger, Request
from tools.suite import Suite

SUBJECTS = (
    "Không đăng nhập được TABMIS",
    "Lỗi lệnh chuyển Có trên TTSP",
    "Máy in không in được chứng từ",
    "Không gửi được thư điện tử",
    "Lỗi kết xuất báo cáo trên kho dữ liệu TABMIS",
    "Chương trình thu ngân sách TCS-TT báo lỗi kết nối",
    "Không cập nhật được danh mục dùng chung DMDC",
    "Máy trạm bị nhiễm virus, chạy rất chậm",
)
UNITS = ("KBNN-HNI", "KBNN-HCM", "KBNN-DNG", "KBNN-HPG", "KBNN-HNI-CAUGIAY")
PEOPLE = (
    ("Nguyễn Thị Lan", "lan.nguyen@kbnn.gov.vn"),
    ("Trần Văn Bình", "binh.tran@kbnn.gov.vn"),
    ("Lê Thị Hồng", "hong.le@kbnn.gov.vn"),
    ("Phạm Quốc Huy", "huy.pham@kbnn.gov.vn"),
)
#: A ticket's walk: take it, up two steps, and the answer back down to its owner.
WALK = (
    ("assign", "assignee", "Cán bộ xử lý {tag}"),
    ("escalate", "reason", "Tầng hiện tại không xử lý được, cần hỗ trợ {tag}"),
    ("escalate", "reason", "Cần đơn vị chuyên môn xem xét {tag}"),
    ("return", "answer", "Đã khắc phục, đề nghị hướng dẫn người dùng {tag}"),
)
#: In flight at once per channel: the arrival loop waits for a free slot.
IN_FLIGHT = 6


@dataclass(frozen=True)
class Rates:
    """Arrivals per second on each channel (a ladder walk is four moves)."""

    web: float = 3.0
    phone: float = 0.6
    smtp: float = 0.8
    http_mail: float = 0.8
    reply: float = 0.8
    walk: float = 0.5
    refused: float = 0.2

    def scaled(self, factor: float) -> Rates:
        return Rates(**{k: v * factor for k, v in self.__dict__.items()})


class Traffic:
    def __init__(
        self, suite: Suite, ledger: Ledger, rates: Rates, rng: random.Random, grace_s: float
    ) -> None:
        self.suite = suite
        self.ledger = ledger
        self.rates = rates
        self.rng = rng
        self.grace_s = grace_s
        self.patience = Patience(give_up_at=float("inf"))
        self._tasks: set[asyncio.Task[None]] = set()
        self._walked: set[str] = set()
        self._auth = {"Authorization": f"Bearer {suite.admin_token}"}
        #: When the last arrival was sent (time.monotonic()); retries go on after it.
        self.stopped_at = 0.0
        # No kept-alive connections: a connection to a killed gateway would fail as "sent".
        self.http = httpx.AsyncClient(
            base_url=f"{suite.url('intake')}/api/v1",
            timeout=20,
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    async def run(self, duration_s: float) -> None:
        """Send for `duration_s`, then let what is in flight finish (retrying up to `grace_s`)."""
        stop_at = time.monotonic() + duration_s
        self.patience = Patience(give_up_at=stop_at + self.grace_s)
        channels: list[tuple[float, Callable[[], Awaitable[None]]]] = [
            (self.rates.web, self.web_ticket),
            (self.rates.phone, self.phone_call),
            (self.rates.smtp, lambda: self.new_mail("smtp")),
            (self.rates.http_mail, lambda: self.new_mail("http_mail")),
            (self.rates.reply, self.reply),
            (self.rates.walk, self.walk),
            (self.rates.refused, self.refused),
        ]
        await asyncio.gather(*(self._arrivals(rate, send, stop_at) for rate, send in channels))
        self.stopped_at = time.monotonic()
        while self._tasks:
            await asyncio.gather(*list(self._tasks))
        await self.http.aclose()

    async def _arrivals(
        self, rate: float, send: Callable[[], Awaitable[None]], stop_at: float
    ) -> None:
        if rate <= 0:
            return
        slots = asyncio.Semaphore(IN_FLIGHT)
        while True:
            wait = self.rng.expovariate(rate)
            await asyncio.sleep(min(wait, max(0.0, stop_at - time.monotonic())))
            try:
                await asyncio.wait_for(slots.acquire(), max(0.0, stop_at - time.monotonic()))
            except TimeoutError:
                return
            if time.monotonic() >= stop_at:
                slots.release()
                return
            task = asyncio.create_task(self._one(send, slots))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _one(self, send: Callable[[], Awaitable[None]], slots: asyncio.Semaphore) -> None:
        try:
            await send()
        finally:
            slots.release()

    def _post(
        self, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> Callable[[], Awaitable[httpx.Response]]:
        return lambda: self.http.post(path, headers=headers, **kwargs)

    # --- the channels ------------------------------------------------------------------

    async def web_ticket(self) -> None:
        name, email = self.rng.choice(PEOPLE)
        request = self.ledger.new("web", requester=f"{name} <{email}>")
        body = web_ticket(
            f"{self.rng.choice(SUBJECTS)} {request.tag}", unit_code=self.rng.choice(UNITS)
        )
        body["requester"].update(name=name, email=email)
        key = {"Idempotency-Key": str(uuid.uuid4())}
        response = await send_http(
            request, self._post("/tickets", json=body, headers=key), self.patience, keyed=True
        )
        if settle_http(request, response, 201):
            assert response is not None
            request.ticket_id, request.number = response.json()["id"], response.json()["number"]

    async def phone_call(self) -> None:
        name, email = self.rng.choice(PEOPLE)
        request = self.ledger.new("phone", requester=f"{name} <{email}>")
        call = {
            "caller": {"name": name, "email": email, "unit_code": self.rng.choice(UNITS)},
            "callback_number": "024 3826 1234",
            "subject": f"{self.rng.choice(SUBJECTS)} {request.tag}",
            "notes": "Người dùng gọi điện báo lỗi, đã hướng dẫn thử lại nhưng chưa được.",
        }
        send = self._post("/phone-calls", json=call, headers=self._auth)
        response = await send_http(request, send, self.patience, keyed=False)
        if settle_http(request, response, 201):
            assert response is not None
            request.ticket_id, request.number = response.json()["id"], response.json()["number"]

    async def new_mail(self, channel: str) -> None:
        name, email = self.rng.choice(PEOPLE)
        request = self.ledger.new(channel, requester=f"{name} <{email}>")
        raw = message(
            f"{self.rng.choice(SUBJECTS)} {request.tag}",
            "Kính gửi bộ phận hỗ trợ,\n\nĐơn vị tôi gặp lỗi từ sáng nay, đề nghị hỗ trợ.\n",
            f"{uuid.uuid4().hex}@mail.kbnn.gov.vn",
            sender=request.requester or "",
        )
        await self._deliver(request, raw, email, channel)

    async def reply(self) -> None:
        open_tickets = [t for t in self.ledger.tickets() if t.requester]
        if not open_tickets:
            return
        target = self.rng.choice(open_tickets)
        request = self.ledger.new(
            "reply", ticket_id=target.ticket_id, number=target.number, requester=target.requester
        )
        raw = message(
            f"Re: [{target.number}] Bổ sung thông tin",
            f"Tôi bổ sung: đã khởi động lại máy nhưng vẫn lỗi. {request.tag}\n",
            f"{uuid.uuid4().hex}@mail.kbnn.gov.vn",
            sender=target.requester or "",
        )
        sender = (target.requester or "").rsplit("<", 1)[-1].rstrip(">")
        await self._deliver(request, raw, sender, self.rng.choice(("smtp", "http_mail")))

    async def _deliver(self, request: Request, raw: bytes, sender: str, path: str) -> None:
        """SMTP or the HTTP mail gateway; both retry the same bytes until they are taken in.

        Taken in means what the client asked for: a ticket (or a reply's comment), or
        "already taken in" for a copy of one; anything else (held, a dead letter, a reply
        made a ticket of its own) is diverted."""
        wanted = ("comment" if request.channel == "reply" else "ticket", "ignored")
        if path == "smtp":
            reply = await send_smtp(request, self.suite.ports["smtp"], sender, raw, self.patience)
            outcome = (reply or "").split(" ")[1:2]
            if reply is not None and outcome and outcome[0] not in wanted:
                request.settle(DIVERTED, request.answer)
            elif reply is not None and request.channel != "reply":
                request.number = number_in(reply)
            return
        headers = {**self._auth, "Content-Type": "message/rfc822"}
        send = self._post("/inbound/email", content=raw, headers=headers)
        response = await send_http(request, send, self.patience, keyed=True)
        if not settle_http(request, response, 202):
            return
        assert response is not None
        answer = response.json()
        if answer.get("outcome") not in wanted:
            request.settle(DIVERTED, f"202 {answer.get('outcome')}: {answer.get('reason')}")
        elif request.channel != "reply":
            request.ticket_id, request.number = answer.get("ticket_id"), answer.get("number")

    async def walk(self) -> None:
        """An operator takes a ticket, escalates it twice and sends the answer back down."""
        fresh = [t for t in self.ledger.tickets() if t.number not in self._walked]
        if not fresh:
            return
        target = self.rng.choice(fresh)
        assert target.number is not None
        self._walked.add(target.number)
        for move, field, text in WALK:
            request = self.ledger.new(move, ticket_id=target.ticket_id, number=target.number)
            body = {field: text.format(tag=request.tag)}
            if move == "assign" and not await self._register_assignee(target.number, body[field]):
                request.settle(IN_DOUBT, "no agent registered: never sent")
                return
            send = self._post(f"/tickets/{target.number}/{move}", json=body, headers=self._auth)
            response = await send_http(request, send, self.patience, keyed=False, not_yet=NOT_YET)
            if not settle_http(request, response, 200):
                return  # refused or in doubt: the ticket's step is no longer known
            await asyncio.sleep(self.rng.uniform(0.1, 1.0))

    async def _register_assignee(self, number: str, name: str) -> bool:
        """`assign` names a person of the agent directory working where the ticket is
        (issue 13): an admin adds one for this walk, once the ticket is placed."""
        attempt = 0
        while not self.patience.exhausted():
            attempt += 1
            try:
                view = await self.http.get(f"/tickets/{number}", headers=self._auth)
                handler = view.json().get("handler") if view.status_code == 200 else None
                if handler:
                    email = f"{name.rsplit(' ', 1)[-1].lower()}@chaos.hotro.local"
                    person = {"name": name, "email": email, "office": handler}
                    added = await self.http.post("/agents", json=person, headers=self._auth)
                    if added.status_code in (200, 201):
                        return True
            except (httpx.HTTPError, ValueError):
                pass
            await self.patience.pause(attempt)
        return False

    async def refused(self) -> None:
        """Requests the gateway must refuse (bad input): none of them may appear anywhere."""
        if self.rng.random() < 0.5:
            request = self.ledger.new("invalid")
            body = web_ticket(f"{self.rng.choice(SUBJECTS)} {request.tag}")
            body["application_code"] = "KHONG-CO"
            send = self._post("/tickets", json=body, headers={"Idempotency-Key": request.tag})
            response = await send_http(request, send, self.patience, keyed=True)
        else:
            request = self.ledger.new("invalid")
            call = {
                "caller": {"name": "Người gọi", "unit_code": "KBNN-HNI"},
                "callback_number": "không có số",
                "subject": f"{self.rng.choice(SUBJECTS)} {request.tag}",
            }
            send = self._post("/phone-calls", json=call, headers=self._auth)
            response = await send_http(request, send, self.patience, keyed=False)
        settle_http(request, response, 201)
