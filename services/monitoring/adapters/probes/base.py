"""What every probe shares: its partial report, its failure, TLS contexts, and credentials."""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import certifi
import yaml

from libs.catalog.checks_model import Check

#: A page is read up to this size: enough for any marker, bounded for a runaway target.
BODY_LIMIT = 1_000_000


class ProbeFailed(Exception):
    """A protocol step did not go as the check expects; `reason` says which and how."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Progress:
    """Where a probe is, so a timeout can say what the target never answered."""

    stage: str = "connecting"


@dataclass(frozen=True)
class Seen:
    status: int | None = None
    body: str = ""
    cert_expires_at: datetime | None = None
    greeting: str = ""


@lru_cache(maxsize=64)
def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """One verifying context per CA bundle (building one costs milliseconds: reused)."""
    return ssl.create_default_context(cafile=ca_file or certifi.where())


def cert_expiry(ssl_object: ssl.SSLObject | ssl.SSLSocket | None) -> datetime | None:
    """`notAfter` of the peer's verified certificate (the ssl module parses it for us)."""
    if ssl_object is None:
        return None
    cert = ssl_object.getpeercert()
    not_after = cert.get("notAfter") if cert else None
    if not isinstance(not_after, str):
        return None
    return datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), UTC)


def credentials(check: Check) -> dict[str, str]:
    """The login's username and password from the environment or the secret file."""
    ref = check.credentials
    if ref is None:
        raise ProbeFailed("the check names no credentials")
    if ref.env is not None:
        values = {}
        for name in ("username", "password"):
            variable = f"{ref.env}_{name.upper()}"
            value = os.environ.get(variable)
            if not value:
                raise ProbeFailed(f"credentials: {variable} is not set")
            values[name] = value
        return values
    assert check.credentials_file is not None
    try:
        data = yaml.safe_load(Path(check.credentials_file).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ProbeFailed(f"credentials: cannot read {ref.file}: {error}") from None
    if not isinstance(data, dict) or not all(
        isinstance(data.get(k), str) and data.get(k) for k in ("username", "password")
    ):
        raise ProbeFailed(f"credentials: {ref.file} must hold username and password")
    return {"username": data["username"], "password": data["password"]}
