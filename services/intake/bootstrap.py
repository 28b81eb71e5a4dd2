"""Wires intake's channels, directory, files and mail around the gateway (issue 4).

Everything here is built from settings: the SMTP listener (`HOTRO_SMTP_HOST`/`HOTRO_SMTP_PORT`,
127.0.0.1:2525 by default; `HOTRO_SMTP_PORT=0` turns it off), the IMAP poller (only when
`HOTRO_IMAP_URL` is set), outgoing mail (`HOTRO_SMTP_RELAY`, else `.eml` files under
`HOTRO_MAIL_SINK_DIR`) and the attachment policy (`HOTRO_ATTACHMENT_*`).
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI

from libs.catalog.model import Catalog
from libs.events.sinks import ProjectionSink
from libs.events.topics import INTAKE
from libs.platform.outgoing_mail import FROM_ADDRESS, MESSAGE_ID_DOMAIN, OutgoingMail
from libs.platform.service import ServiceKit
from services.intake.adapters import mail_index
from services.intake.adapters.blobs import BlobStore
from services.intake.adapters.directory import RequesterDirectory
from services.intake.adapters.imap_poller import ImapPoller, ImapSettings
from services.intake.adapters.mailer import Mailer
from services.intake.adapters.smtp_listener import SmtpListener
from services.intake.adapters.store import IntakeApplication, TicketNumbers
from services.intake.adapters.ticket_view import TicketQueries
from services.intake.adapters.tokens import TokenStore
from services.intake.api import actions, inbound, phone, requesters, tokens
from services.intake.api.deps import Services
from services.intake.api.limits import limit_requests, reject_control_characters
from services.intake.domain.attachments import DEFAULT_ALLOWED_TYPES, AttachmentPolicy
from services.intake.service_layer.mail_intake import MailIntake, MailSettings
from services.intake.service_layer.submissions import Submissions


def attachment_policy() -> AttachmentPolicy:
    types = os.environ.get("HOTRO_ATTACHMENT_TYPES", "")
    return AttachmentPolicy(
        max_bytes=int(os.environ.get("HOTRO_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024))),
        max_files=int(os.environ.get("HOTRO_ATTACHMENT_MAX_FILES", "10")),
        allowed_types=frozenset(t.strip() for t in types.split(",") if t.strip())
        or DEFAULT_ALLOWED_TYPES,
    )


async def wire(
    kit: ServiceKit,
    http: FastAPI,
    *,
    app: IntakeApplication,
    catalog: Catalog,
    numbers: TicketNumbers,
    queries: TicketQueries,
    tokens_store: TokenStore,
) -> Services:
    pool: Any = kit.pool
    blobs = BlobStore(pool, kit.schema)
    directory = RequesterDirectory(pool, kit.schema)
    outgoing = OutgoingMail(pool, kit.schema)
    for table in (blobs, directory, outgoing):
        await table.ensure_table()
    await mail_index.ensure_tables(pool, kit.schema)

    index_sink = ProjectionSink(
        name="intake.mail-index",
        pool=pool,
        schema=kit.schema,
        project=mail_index.projector(kit.schema),
    )
    kit.consumer("intake.mail-index", [INTAKE], index_sink)
    mailer = Mailer(app, outgoing)
    kit.consumer(
        "intake.mailer",
        [INTAKE],
        ProjectionSink(name="intake.mailer", pool=pool, schema=kit.schema, project=mailer.project),
    )

    submissions = Submissions(app, numbers, blobs, attachment_policy())
    mail_queries = mail_index.MailQueries(pool, kit.schema)
    intake = MailIntake(
        app=app,
        submissions=submissions,
        blobs=blobs,
        queries=mail_queries,
        directory=directory,
        settings=MailSettings.from_sender(
            FROM_ADDRESS, MESSAGE_ID_DOMAIN, os.environ.get("HOTRO_MAIL_ADDRESSES", ""), catalog
        ),
    )

    smtp_port = int(os.environ.get("HOTRO_SMTP_PORT", "2525"))
    if smtp_port:
        smtp = SmtpListener(intake, os.environ.get("HOTRO_SMTP_HOST", "127.0.0.1"), smtp_port)
        await smtp.start()
        kit.loops.append(smtp.run)
        kit.checks["smtp"] = smtp.readiness
    imap = ImapSettings.from_env()
    if imap is not None:
        kit.loops.append(ImapPoller(intake, imap).run)

    for router in (actions.router, phone.router, inbound.router, requesters.router, tokens.router):
        http.include_router(router, prefix="/api/v1")
    limit_requests(http)
    reject_control_characters(http)
    return Services(
        app=app,
        catalog=catalog,
        numbers=numbers,
        queries=queries,
        tokens=tokens_store,
        blobs=blobs,
        directory=directory,
        submissions=submissions,
        mail=intake,
        mail_queries=mail_queries,
    )
