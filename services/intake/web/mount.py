"""Wiring the console into the gateway: its sessions table, pages, static files, errors."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from psycopg_pool import AsyncConnectionPool

from services.intake.web.render import HERE
from services.intake.web.routes import install_page_errors, pages
from services.intake.web.sessions import SessionStore

STATIC_PATH = "/console-assets"


async def mount_console(app: FastAPI, pool: AsyncConnectionPool[Any], schema: str) -> None:
    """Call after the API's error handlers are installed (the pages' wrap them)."""
    store = SessionStore(pool, schema)
    await store.ensure_table()
    app.state.web_sessions = store
    app.mount(STATIC_PATH, StaticFiles(directory=HERE / "static"), name="console-assets")
    app.include_router(pages)
    install_page_errors(app)
