"""Who is asking, as the gateway vouches for it to the service that owns a command (rule 10).

The gateway authenticates people; the services behind it trust nothing but a short-lived
assertion the gateway signs with a key they share (`HOTRO_INTERNAL_KEY`). The assertion is a
JWT (HS256) bound to one request: its method, its path with the query, and a hash of its
body, so a captured assertion cannot be replayed for another path or another body, and it is
accepted once. A process that reaches a service's port with hand-made headers is refused
with 401, whatever role it claims.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import jwt
from fastapi import Request

from libs.platform.settings import SettingError

ASSERTION_HEADER = "X-Hotro-Assertion"
KEY_ENV = "HOTRO_INTERNAL_KEY"
KEY_FILE_ENV = "HOTRO_INTERNAL_KEY_FILE"
ISSUER = "hotro-gateway"
#: Long enough for a forwarded call on a loaded machine, short enough to be useless later.
LIFETIME_S = 30
_CLOCK_SKEW_S = 5


@dataclass(frozen=True)
class Caller:
    name: str
    role: str
    province: str | None = None
    group: str | None = None


class UnauthenticatedCall(Exception):
    """The request carries no valid assertion; `reason` says what was wrong with it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def internal_key() -> bytes:
    """The shared signing key: HOTRO_INTERNAL_KEY, or the file named by HOTRO_INTERNAL_KEY_FILE."""
    value = os.environ.get(KEY_ENV, "").strip()
    if not value and os.environ.get(KEY_FILE_ENV):
        try:
            value = Path(os.environ[KEY_FILE_ENV]).read_text().strip()
        except OSError as error:
            raise SettingError(f"{KEY_FILE_ENV}: cannot read the key file: {error}") from error
    if len(value) < 32:
        raise SettingError(
            f"{KEY_ENV} (or {KEY_FILE_ENV}) must hold the internal signing key shared by the "
            "gateway and the services, at least 32 characters (make run generates one in "
            ".hotro/internal-key)"
        )
    return value.encode()


def new_internal_key() -> str:
    return secrets.token_urlsafe(48)


def body_hash(body: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b"=").decode()


def sign_call(
    caller: Caller, method: str, target: str, body: bytes, key: bytes, now: float | None = None
) -> str:
    """An assertion for one request: `target` is the path with its query, as sent."""
    issued = int(time.time() if now is None else now)
    claims = {
        "iss": ISSUER,
        "sub": caller.name,
        "role": caller.role,
        "province": caller.province,
        "group": caller.group,
        "htm": method.upper(),
        "htu": target,
        "bh": body_hash(body),
        "iat": issued,
        "exp": issued + LIFETIME_S,
        "jti": secrets.token_urlsafe(16),
    }
    return jwt.encode(claims, key, algorithm="HS256")


class ReplayGuard:
    """Remembers the assertions already accepted until they expire (one use each)."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}

    def first_use(self, jti: str, expires_at: float, now: float) -> bool:
        if len(self._seen) > 10_000:
            self._seen = {k: t for k, t in self._seen.items() if t > now}
        if jti in self._seen:
            return False
        self._seen[jti] = expires_at
        return True


def verify_call(
    token: str,
    method: str,
    target: str,
    body: bytes,
    key: bytes,
    replays: ReplayGuard,
    now: float | None = None,
) -> Caller:
    """The caller the gateway vouched for, or UnauthenticatedCall naming what is wrong."""
    if not token:
        raise UnauthenticatedCall(
            f"missing {ASSERTION_HEADER}: call this service through the gateway"
        )
    moment = time.time() if now is None else now
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=["HS256"],
            issuer=ISSUER,
            leeway=_CLOCK_SKEW_S,
            options={"require": ["exp", "iat", "jti", "sub", "role", "htm", "htu", "bh"]},
        )
    except jwt.ExpiredSignatureError:
        raise UnauthenticatedCall("the gateway's assertion has expired") from None
    except jwt.InvalidTokenError as error:
        raise UnauthenticatedCall(f"invalid assertion: {error}") from None
    if claims["iat"] > moment + _CLOCK_SKEW_S:
        raise UnauthenticatedCall("the assertion is issued in the future")
    if claims["htm"] != method.upper() or claims["htu"] != target:
        raise UnauthenticatedCall("the assertion was issued for another request")
    if claims["bh"] != body_hash(body):
        raise UnauthenticatedCall("the assertion was issued for another body")
    if not replays.first_use(str(claims["jti"]), float(claims["exp"]), moment):
        raise UnauthenticatedCall("the assertion has already been used")
    return Caller(claims["sub"], claims["role"], claims.get("province"), claims.get("group"))


def request_target(request: Request) -> str:
    """The path and query as they arrived, the same bytes the gateway signed."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string") or b""
    return (raw + (b"?" + query if query else b"")).decode("latin-1")


async def caller_from_assertion(request: Request) -> Caller:
    """A FastAPI dependency for the services behind the gateway: the verified caller."""
    cached: Caller | None = getattr(request.state, "caller", None)
    if cached is not None:
        return cached
    verifier: CallVerifier = request.app.state.call_verifier
    caller = verifier.verify(
        request.headers.get(ASSERTION_HEADER, ""),
        request.method,
        request_target(request),
        await request.body(),
    )
    request.state.caller = caller
    return caller


@dataclass
class CallVerifier:
    key: bytes
    replays: ReplayGuard

    def verify(self, token: str, method: str, target: str, body: bytes) -> Caller:
        return verify_call(token, method, target, body, self.key, self.replays)
