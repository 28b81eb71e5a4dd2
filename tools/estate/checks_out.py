"""The checks file that points the shipped estate at the simulator (SPEC §5 "The checks file").

Every shipped check is kept — id, application, name, morning, interval, priority, labels and
maintenance windows — and only what the simulator must answer differently is rewritten: the
target (a loopback address), what a page must contain (the system's own title), a login's
steps (this simulator's form fields) and its credentials (a 0600 secret file, never inline),
and STARTTLS, certificates and TCP dialogues the simulator does not offer. The WAN channels
file is rewritten beside it the same way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tools.estate.http_systems import SUCCESS_MARKER, WRONG_CREDENTIALS
from tools.estate.inventory import Inventory
from tools.estate.model import System

HEADER = (
    "# Written by `python -m tools.estate serve`: the shipped estate pointed at the simulated\n"
    "# one on loopback. Rewritten at every start; edit catalog/checks.yaml instead.\n"
)
GREETING = {"smtp": "ESMTP", "imap": "IMAP4rev1"}


@dataclass(frozen=True)
class Addresses:
    http: str  # http://127.0.0.1:PORT
    sockets: dict[tuple[str, str], str]  # (kind, system key) → 127.0.0.1:PORT
    channels: dict[str, str]  # channel id → 127.0.0.1:PORT
    secrets: dict[str, Path]  # system key → its credentials file


def login_steps(base: str, system: System) -> list[dict[str, Any]]:
    """Form page (carry the hidden token) → POST the credentials → the landing page's marker."""
    form = system.login
    assert form is not None
    return [
        {"method": "GET", "url": f"{base}login", "extract": {"csrf": {"field": form.token_field}}},
        {
            "method": "POST",
            "url": f"{base}login",
            "form": {
                form.user_field: "{username}",
                form.password_field: "{password}",
                form.token_field: "{csrf}",
            },
            "expect": {"status": [200, 302, 303], "body_not_contains": WRONG_CREDENTIALS},
        },
        {"method": "GET", "url": f"{base}home", "expect": {"body_contains": SUCCESS_MARKER}},
    ]


def _kept(expect: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: expect[k] for k in keys if k in expect}


def rewrite_check(check: dict[str, Any], inventory: Inventory, at: Addresses) -> dict[str, Any]:
    system = inventory.systems[inventory.system_of_check[str(check["id"])]]
    kind = check["kind"]
    out = {k: v for k, v in check.items() if k not in ("ca_file", "credentials", "steps")}
    expect = dict(check.get("expect") or {})
    base = f"{at.http}/{system.key}/"
    if kind == "http":
        out["target"] = base
        out["expect"] = {
            **_kept(expect, "status", "body_not_contains", "degraded_after_ms"),
            "body_contains": system.title,
        }
    elif kind == "login":
        out["target"] = base
        out["expect"] = _kept(expect, "status", "degraded_after_ms")
        out["steps"] = login_steps(base, system)
        out["credentials"] = {"file": str(at.secrets[system.key])}
    else:
        out["target"] = at.sockets[(kind, system.key)]
        out["expect"] = _kept(expect, "degraded_after_ms")
        if kind in GREETING:
            out["expect"]["greeting_contains"] = GREETING[kind]
    if not out["expect"]:
        out.pop("expect")
    return out


def rewrite_wan(wan: dict[str, Any], at: Addresses) -> dict[str, Any]:
    districts = []
    for district in wan.get("districts", []):
        channels = []
        for channel in district.get("channels", []):
            expect = _kept(dict(channel.get("expect") or {}), "degraded_after_ms")
            moved = {**channel, "target": at.channels[str(channel["id"])], "expect": expect}
            channels.append({k: v for k, v in moved.items() if v != {}})
        districts.append({**district, "channels": channels})
    return {**wan, "districts": districts}


def _write(path: Path, document: dict[str, Any]) -> None:
    """Whole or not at all: the monitoring service may be reading the previous version."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    body = yaml.dump(document, Dumper=dumper, allow_unicode=True, sort_keys=False, width=100)
    text = HEADER + body
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def write_checks(path: Path, inventory: Inventory, at: Addresses) -> list[Path]:
    """Writes the checks file (and its WAN channels file, if any); returns what it wrote."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shipped = inventory.shipped
    document = {k: v for k, v in shipped.checks.items() if k not in ("checks", "wan_channels")}
    document["checks"] = [rewrite_check(c, inventory, at) for c in shipped.checks.get("checks", [])]
    written = [path]
    if shipped.wan is not None:
        wan_path = path.with_name(f"{path.stem}-wan{path.suffix or '.yaml'}")
        _write(wan_path, rewrite_wan(shipped.wan, at))
        document["wan_channels"] = wan_path.name
        written.append(wan_path)
    _write(path, document)
    return written
