"""The round's mails, rendered from `services/monitoring/templates/` (Jinja2).

The report is HTML with a plain-text alternative (some treasury mail clients show text only);
the failed-login alert is plain text, short enough to read on a phone. Content comes from
`domain/readiness_report.py`; here it is only laid out.
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from libs.platform.letters import SIGNATURE
from libs.platform.outgoing_mail import new_message
from services.monitoring.adapters.readiness_recipients import Recipients
from services.monitoring.domain.readiness_report import ReadinessReport

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"

_ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)
#: The one signature of every Hotro mail (libs/platform/letters.py).
_ENV.globals["SIGNATURE"] = "\n".join(SIGNATURE)


def render(name: str, **values: object) -> str:
    return _ENV.get_template(name).render(**values)


def report_message(report: ReadinessReport, recipients: Recipients) -> EmailMessage:
    to = recipients.to or recipients.cc
    cc = recipients.cc if recipients.to else ()
    message = new_message(
        ", ".join(to), report.subject, render("readiness_report.txt", report=report)
    )
    if cc:
        message["Cc"] = ", ".join(cc)
    message.add_alternative(render("readiness_report.html", report=report), subtype="html")
    return message


def login_alert_message(to: str, subject: str, **values: object) -> EmailMessage:
    message = new_message(to, subject, render("login_failed.txt", **values), Importance="high")
    message["X-Priority"] = "1"
    return message
