"""Real local servers for the monitoring probes' tests: the targets are *theirs*, not ours.

- `login_site()`: a web application with a Spring-style sign-in (a pre-login cookie, a hidden
  `_csrf` bound to it, a session cookie after the POST, a page only a signed-in user sees),
  plus pages that are slow, broken or hang; served by uvicorn in a thread, over TLS if asked.
- `self_signed(folder, days)`: a certificate made by the `openssl` command line.
- `tcp_server(handler)`: a raw asyncio listener (a dialogue, or one that never answers).
"""

from __future__ import annotations

import asyncio
import secrets
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tools.embedded import free_port

USER, PASSWORD = "giamsat", "Mk-thu-nghiem-2026"


def login_site() -> FastAPI:
    app = FastAPI()
    pre_login: dict[str, str] = {}  # JSESSIONID -> the _csrf it was given
    sessions: set[str] = set()

    @app.get("/", response_class=HTMLResponse)
    async def home() -> str:
        return "<html><title>TABMIS</title><h1>Hệ thống TABMIS sẵn sàng</h1></html>"

    @app.get("/broken", response_class=HTMLResponse)
    async def broken() -> Response:
        return HTMLResponse("ORA-12541: TNS:no listener", status_code=503)

    @app.get("/slow", response_class=HTMLResponse)
    async def slow() -> str:
        await asyncio.sleep(0.6)
        return "<h1>TABMIS</h1>"

    @app.get("/hang")
    async def hang() -> str:
        await asyncio.sleep(60)
        return "late"

    @app.get("/login", response_class=HTMLResponse)
    async def login_page() -> Response:
        jsession, csrf = secrets.token_hex(8), secrets.token_hex(12)
        pre_login[jsession] = csrf
        page = (
            '<form method="post" action="/login"><input name="username">'
            '<input type="password" name="password">'
            f'<input type="hidden" name="_csrf" value="{csrf}"></form>'
        )
        response = HTMLResponse(page)
        response.set_cookie("JSESSIONID", jsession)
        return response

    @app.post("/login")
    async def sign_in(
        request: Request,
        username: str = Form(""),
        password: str = Form(""),
        csrf: str = Form("", alias="_csrf"),
    ) -> Response:
        expected = pre_login.get(request.cookies.get("JSESSIONID", ""))
        if expected is None or csrf != expected:
            return HTMLResponse("Phiên làm việc không hợp lệ (CSRF)", status_code=403)
        if (username, password) != (USER, PASSWORD):
            return HTMLResponse("Tên đăng nhập hoặc mật khẩu không đúng")
        session = secrets.token_hex(8)
        sessions.add(session)
        response = RedirectResponse("/app", status_code=302)
        response.set_cookie("SESSION", session)
        return response

    @app.get("/app", response_class=HTMLResponse)
    async def signed_in(request: Request) -> Response:
        if request.cookies.get("SESSION") not in sessions:
            return RedirectResponse("/login", status_code=302)
        return HTMLResponse(f"Xin chào {USER} — Đăng xuất")

    return app


@contextmanager
def serve(app: FastAPI, cert: tuple[Path, Path] | None = None) -> Iterator[int]:
    """uvicorn in a thread of its own (so a hanging page hangs only its own loop)."""
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        ssl_certfile=str(cert[0]) if cert else None,
        ssl_keyfile=str(cert[1]) if cert else None,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise TimeoutError("the test web server did not start")
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        server.force_exit = True
        thread.join(10)


def self_signed(folder: Path, days: int) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1/localhost valid for `days`, which is its own CA."""
    cert, key = folder / f"cert-{days}.pem", folder / f"key-{days}.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-sha256",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            str(days),
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def tcp_server(handler: Handler) -> AsyncIterator[int]:
    open_writers: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        open_writers.append(writer)
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        for writer in open_writers:
            writer.close()
        server.close()


async def pop3_like(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A tiny line protocol: a banner, then PONG to PING."""
    writer.write(b"+OK kenh truyen san sang\r\n")
    await writer.drain()
    line = await reader.readline()
    writer.write(b"PONG\r\n" if line.strip() == b"PING" else b"-ERR\r\n")
    await writer.drain()


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accepts the connection and never says a word (a hung service)."""
    await asyncio.sleep(3600)
