"""The web pages of the simulated systems: one Starlette app, each system under `/<key>/`.

A system with a sign-in behaves like the real products do towards a scripted login: the form
page sets an anti-forgery cookie and carries a hidden token derived from it; the POST must
bring both back with the credentials, or it is refused (400, as ASP.NET's anti-forgery check
does); right credentials give a session cookie and a redirect to a landing page that greets
the user and offers "Đăng xuất"; wrong ones give the form again with an error. Tokens and
sessions are HMACs under a key of this process, so nothing accumulates however often the
checker signs in.

Cookies are scoped to the system's path: one cookie jar for the whole estate never mixes two
systems' sessions (they share the host 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from html import escape

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from tools.estate.model import EstateState, LoginForm, System

Handler = Callable[[Request, System], Awaitable[Response]]
SESSION_TTL_S = 8 * 3600
SUCCESS_MARKER = "Đăng xuất"
WRONG_CREDENTIALS = "Tên đăng nhập hoặc mật khẩu không đúng."


def _page(system: System, body: str) -> str:
    title = escape(system.title)
    return (
        '<!doctype html>\n<html lang="vi"><head><meta charset="utf-8">'
        f"<title>{title} — Kho bạc Nhà nước</title></head>\n<body>"
        "<header>KHO BẠC NHÀ NƯỚC</header>\n"
        f"<h1>{title}</h1>\n{body}\n"
        "<footer>Môi trường mô phỏng (tools/estate) — không phải hệ thống thật.</footer>"
        "</body></html>\n"
    )


class Signer:
    """Stateless anti-forgery tokens and sessions: an HMAC under a per-process key."""

    def __init__(self) -> None:
        self.key = secrets.token_bytes(32)

    def sign(self, *parts: str) -> str:
        return hmac.new(self.key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()[:40]

    def valid(self, signature: str, *parts: str) -> bool:
        return hmac.compare_digest(signature, self.sign(*parts))

    def session(self, system: System) -> str:
        issued = str(int(time.time()))
        return f"{issued}.{self.sign('session', system.key, system.username, issued)}"

    def session_valid(self, system: System, value: str) -> bool:
        issued, _, signature = value.partition(".")
        if not issued.isdigit() or time.time() - int(issued) > SESSION_TTL_S:
            return False
        return self.valid(signature, "session", system.key, system.username, issued)


class SystemPages:
    """Routes of every system; `passwords` maps a system key to its account's password."""

    def __init__(self, systems: list[System], state: EstateState, passwords: dict[str, str]):
        self.systems = {s.key: s for s in systems}
        self.state = state
        self.passwords = passwords
        self.signer = Signer()

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/", self.index),
                Route("/{key}/", self._serving(self.home_page)),
                Route("/{key}/login", self._serving(self.login_form), methods=["GET"]),
                Route("/{key}/login", self._serving(self.login), methods=["POST"]),
                Route("/{key}/home", self._serving(self.landing)),
                Route("/{key}/logout", self._serving(self.logout)),
            ]
        )

    def _serving(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """The route of one page: the addressed system, after its simulated delay, answers
        through `handler`; a down system answers 503 whatever the page, an unknown one 404."""

        async def endpoint(request: Request) -> Response:
            system = await self._system(request)
            return system if isinstance(system, Response) else await handler(request, system)

        return endpoint

    async def _system(self, request: Request) -> System | Response:
        system = self.systems.get(request.path_params["key"])
        if system is None:
            return HTMLResponse("<h1>404 Không tìm thấy</h1>", status_code=404)
        target = self.state.get(system.key)
        if target.delay_ms:
            await asyncio.sleep(target.delay_ms / 1000)
        if target.down:
            return HTMLResponse(
                _page(system, "<p>Hệ thống đang tạm ngừng phục vụ. Vui lòng thử lại sau.</p>"),
                status_code=503,
                headers={"Retry-After": "60"},
            )
        return system

    async def index(self, request: Request) -> Response:
        items = "".join(
            f'<li><a href="/{s.key}/">{escape(s.title)}</a> ({escape(s.application)})</li>'
            for s in self.systems.values()
        )
        return HTMLResponse(f'<!doctype html><meta charset="utf-8"><ul>{items}</ul>')

    async def home_page(self, request: Request, system: System) -> Response:
        link = f'<p><a href="/{system.key}/login">Đăng nhập</a></p>' if system.login else ""
        return HTMLResponse(
            _page(system, f"<p>Chào mừng đến với {escape(system.title)}.</p>{link}")
        )

    def _form(self, system: System, form: LoginForm, error: str = "") -> Response:
        cookie = secrets.token_urlsafe(24)
        token = self.signer.sign("antiforgery", system.key, cookie)
        message = f'<p class="error">{escape(error)}</p>' if error else ""
        body = (
            f'{message}<form method="post" action="/{system.key}/login">'
            f'<input type="hidden" name="{form.token_field}" value="{token}">'
            f'<label>Tên đăng nhập <input name="{form.user_field}"></label>'
            f'<label>Mật khẩu <input type="password" name="{form.password_field}"></label>'
            '<button type="submit">Đăng nhập</button></form>'
        )
        response = HTMLResponse(_page(system, body))
        response.set_cookie(form.antiforgery_cookie, cookie, path=f"/{system.key}/", httponly=True)
        return response

    async def login_form(self, request: Request, system: System) -> Response:
        if system.login is None:
            return RedirectResponse(f"/{system.key}/", status_code=302)
        return self._form(system, system.login)

    async def login(self, request: Request, system: System) -> Response:
        form = system.login
        if form is None:
            return Response(status_code=405)
        data = await request.form()
        cookie = request.cookies.get(form.antiforgery_cookie, "")
        token = str(data.get(form.token_field, ""))
        if not cookie or not self.signer.valid(token, "antiforgery", system.key, cookie):
            return HTMLResponse(
                _page(system, "<p>Phiên làm việc đã hết hạn. Vui lòng tải lại trang.</p>"),
                status_code=400,
            )
        user = str(data.get(form.user_field, ""))
        password = str(data.get(form.password_field, ""))
        expected = self.passwords.get(system.key, "")
        if not (
            expected
            and hmac.compare_digest(user, system.username)
            and hmac.compare_digest(password, expected)
        ):
            return self._form(system, form, WRONG_CREDENTIALS)
        response = RedirectResponse(f"/{system.key}/home", status_code=302)
        response.set_cookie(
            form.session_cookie,
            self.signer.session(system),
            path=f"/{system.key}/",
            httponly=True,
        )
        return response

    async def landing(self, request: Request, system: System) -> Response:
        form = system.login
        if form is None:
            return RedirectResponse(f"/{system.key}/", status_code=302)
        session = request.cookies.get(form.session_cookie, "")
        if not self.signer.session_valid(system, session):
            return RedirectResponse(f"/{system.key}/login", status_code=302)
        body = (
            f"<p>Xin chào, <b>{escape(system.display_name)}</b></p>"
            f'<p><a href="/{system.key}/logout">{SUCCESS_MARKER}</a></p>'
        )
        return HTMLResponse(_page(system, body))

    async def logout(self, request: Request, system: System) -> Response:
        response = RedirectResponse(f"/{system.key}/login", status_code=302)
        if system.login:
            response.delete_cookie(system.login.session_cookie, path=f"/{system.key}/")
        return response
