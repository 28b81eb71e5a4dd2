"""Helpers of the mail e2e tests: deliver raw messages over SMTP or HTTP, read what Hotro sent."""

from __future__ import annotations

import smtplib
from email import message_from_bytes
from email.message import Message
from email.policy import default
from pathlib import Path
from typing import Any

import httpx

from tools.suite import Suite

CORPUS = Path(__file__).resolve().parents[1] / "data" / "mail"


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def admin(suite: Suite) -> dict[str, str]:
    return {"Authorization": f"Bearer {suite.admin_token}"}


def over_smtp(suite: Suite, raw: bytes, sender: str = "sender@example.vn") -> tuple[int, str]:
    """Deliver with a real SMTP conversation; the final reply says what became of it."""
    with smtplib.SMTP("127.0.0.1", suite.ports["smtp"], timeout=30) as smtp:
        smtp.ehlo()
        smtp.mail(sender)
        smtp.rcpt("hotrocntt@kbnn.gov.vn")
        code, reply = smtp.data(raw)
    return code, reply.decode()


def over_http(suite: Suite, raw: bytes, **params: str) -> dict[str, Any]:
    response = httpx.post(
        f"{suite.url('intake')}/api/v1/inbound/email",
        content=raw,
        params=params,
        headers={**admin(suite), "Content-Type": "message/rfc822"},
        timeout=30,
    )
    assert response.status_code == 202, response.text
    result: dict[str, Any] = response.json()
    return result


def sent_mail(suite: Suite) -> list[Message]:
    """Everything Hotro sent (the local sink of `.eml` files), oldest first."""
    outbox = suite.log_dir / "outbox"
    files = sorted(outbox.glob("*.eml")) if outbox.exists() else []
    return [message_from_bytes(f.read_bytes(), policy=default) for f in files]


def sent_about(suite: Suite, number: str) -> list[Message]:
    return [m for m in sent_mail(suite) if f"[{number}]" in str(m["Subject"])]


def message(
    subject: str,
    body: str,
    message_id: str,
    sender: str = "Nguyễn Thị Lan <lan@kbnn.gov.vn>",
    **headers: str,
) -> bytes:
    """A plain UTF-8 message, as a mail client writes it."""
    lines = [
        f"From: {sender}",
        "To: hotrocntt@kbnn.gov.vn",
        f"Subject: {subject}",
        f"Message-ID: <{message_id}>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        *(f"{k.replace('_', '-')}: {v}" for k, v in headers.items()),
        "",
        body,
        "",
    ]
    return "\r\n".join(lines).encode()
