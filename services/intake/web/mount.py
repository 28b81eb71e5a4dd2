"""Wiring the console into the gateway: its tables (sessions, one-time codes), pages, static
files, errors, and the hook that tells the rate limiter a signed-in browser is no stranger."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from psycopg_pool import AsyncConnectionPool

from libs.platform.outgoing_mail import OutgoingMail
from services.intake.web.admin_pages import admin
from services.intake.web.auth import signed_in_principal
from services.intake.web.codes import CodeStore
from services.intake.web.desk_pages import desk
from services.intake.web.portal import portal
from services.intake.web.render import HERE
from services.intake.web.routes import install_page_errors, pages
from services.intake.web.sessions import SessionStore
from services.intake.web.workspace import workspace

STATIC_PATH = "/console-assets"


async def mount_console(app: FastAPI, pool: AsyncConnectionPool[Any], schema: str) -> None:
    """Call after the API's error handlers are installed (the pages' wrap them)."""
    store = SessionStore(pool, schema)
    await store.ensure_table()
    codes = CodeStore(pool, schema)
    await codes.ensure_table()
    mail = OutgoingMail(pool, schema)
    await mail.ensure_table()
    app.state.web_sessions = store
    app.state.web_codes = codes
    app.state.web_mail = mail
    app.state.console_principal = signed_in_principal
    app.mount(STATIC_PATH, StaticFiles(directory=HERE / "static"), name="console-assets")
    for router in (pages, workspace, portal, desk, admin):
        app.include_router(router)
    install_page_errors(app)
