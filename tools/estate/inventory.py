"""What to simulate: the 12 morning-round systems always, and whatever the shipped checks file
(catalog/checks.yaml and its WAN channels file) points at.

A shipped check's counterpart is found by (application, host of its target): the checks of one
host are one system, so an outage takes its page, its login and its greetings together. The
first host of a morning-round application is that application's built-in system (`/tabmis/`);
others get a key of their own: `<application>-<province>` for a check labelled with a province,
else the check's id (`tabmis-db`). `down TABMIS` takes every system of the application down.
A login check gives its system the form it scripts (login_form_of).

Without a shipped checks file the built-in systems get checks of their own (a page, a login,
MAIL's greetings), so the simulator is useful before the real estate is described.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from libs.catalog import Catalog
from libs.text import fold
from tools.estate.model import ASPNET, ORACLE_EBS, SPRING, Channel, LoginForm, System

#: The vendor behind each sign-in (the rest of the morning round are ASP.NET applications).
LOGIN_FORMS: dict[str, LoginForm | None] = {
    "TABMIS": ORACLE_EBS,
    "TTSP": SPRING,
    "DMDC": SPRING,
    "TTLKB-T4": SPRING,
    "TTLKB-T3": SPRING,
    "MAIL": SPRING,
    "PORTAL": None,  # a public portal: no sign-in
}
USERNAME = "hotro.giamsat"
DISPLAY_NAME = "Tài khoản giám sát Hotro"
WEB_KINDS = ("http", "login")
VENDOR_FORMS = (ASPNET, SPRING, ORACLE_EBS)


@dataclass
class Shipped:
    """The raw documents of the checks file being simulated (None: the built-in checks)."""

    checks: dict[str, Any]
    wan: dict[str, Any] | None = None


@dataclass
class Inventory:
    systems: dict[str, System] = field(default_factory=dict)
    #: shipped check id → the key of the system that answers it
    system_of_check: dict[str, str] = field(default_factory=dict)
    channels: list[Channel] = field(default_factory=list)
    shipped: Shipped = field(default_factory=lambda: Shipped({}))

    def socket_listeners(self) -> list[tuple[str, str]]:
        """(kind, system key) of every non-HTTP check's listener, one per kind and system."""
        seen: dict[tuple[str, str], None] = {}
        for check in self.shipped.checks.get("checks", []):
            if check.get("kind") not in WEB_KINDS:
                seen[(check["kind"], self.system_of_check[check["id"]])] = None
        return list(seen)


def read_shipped(checks_file: Path) -> Shipped | None:
    """The shipped checks file and the WAN channels file it names, if the file exists."""
    if not checks_file.exists():
        return None
    checks = _load(checks_file)
    wan = _load(checks_file.parent / checks["wan_channels"]) if checks.get("wan_channels") else None
    return Shipped(checks, wan)


def _load(path: Path) -> dict[str, Any]:
    # libyaml's parser when present: the shipped estate is a few thousand lines.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text).lower()).strip("-")


def _host(target: str) -> str:
    if "://" in target:
        return urlsplit(target).hostname or target
    return target.rpartition(":")[0].strip("[]") or target


def builtin_systems(catalog: Catalog) -> dict[str, System]:
    systems = {}
    for app in catalog.applications.values():
        if app.morning_check:
            key = _slug(app.code)
            login = LOGIN_FORMS.get(app.code, ASPNET)
            systems[key] = System(key, app.code, app.name, login, USERNAME, DISPLAY_NAME)
    return systems


def builtin_checks(systems: dict[str, System]) -> dict[str, Any]:
    """A checks document for the built-in systems alone (targets rewritten later)."""
    checks: list[dict[str, Any]] = []
    for system in systems.values():
        base = {"application": system.application, "name": system.title, "morning": True}
        url = f"https://{system.key}.kbnn.invalid/"
        checks.append({"id": f"{system.key}-web", "kind": "http", "target": url, **base})
        if system.login:
            checks.append({"id": f"{system.key}-login", "kind": "login", "target": url, **base})
    for kind, port in (("smtp", 25), ("imap", 143)):
        mail = {"application": "MAIL", "name": "Hệ thống thư điện tử KBNN", "morning": True}
        checks.append({"id": f"mail-{kind}", "kind": kind, "target": f"mail.kbnn.invalid:{port}"})
        checks[-1].update(mail)
    return {"defaults": {"interval_s": 60}, "checks": checks}


def login_form_of(check: dict[str, Any], default: LoginForm | None) -> LoginForm:
    """The sign-in form a shipped login check scripts: its field names, and the cookies of the
    product whose token field it carries (the simulated TABMIS looks like Oracle EBS when the
    checks file signs in to Oracle EBS)."""
    fields: dict[str, str] = {}
    for step in check.get("steps") or []:
        for name, value in (step.get("form") or {}).items():
            fields.setdefault(str(value), str(name))
        for extract in (step.get("extract") or {}).values():
            if isinstance(extract, dict) and extract.get("field"):
                fields.setdefault("token", str(extract["field"]))
    token = fields.get("token")
    base = next((f for f in VENDOR_FORMS if f.token_field == token), default or ASPNET)
    return replace(
        base,
        user_field=fields.get("{username}", base.user_field),
        password_field=fields.get("{password}", base.password_field),
        token_field=token or base.token_field,
    )


def _instance(catalog: Catalog, check: dict[str, Any]) -> System:
    """A system that is not one of the built-in twelve: a province's, or another host's."""
    code = str(check["application"])
    app = catalog.applications.get(code)
    title = app.name if app else code
    province = (check.get("labels") or {}).get("province")
    if province:
        name = catalog.provinces[province].name if province in catalog.provinces else province
        return System(_slug(f"{code}-{province}"), code, f"{title} — {name}")
    return System(_slug(str(check["id"])), code, title)


def build(catalog: Catalog, shipped: Shipped | None) -> Inventory:
    systems = builtin_systems(catalog)
    inventory = Inventory(systems=dict(systems))
    inventory.shipped = shipped or Shipped(builtin_checks(systems))
    by_host: dict[tuple[str, str], str] = {}
    for check in inventory.shipped.checks.get("checks", []):
        code, host = str(check["application"]), _host(str(check["target"]))
        province = (check.get("labels") or {}).get("province")
        key = by_host.get((code, host))
        if key is None:
            key = _slug(code)
            if key not in systems or key in by_host.values() or province:
                system = _instance(catalog, check)
                key = inventory.systems.setdefault(system.key, system).key
            by_host[(code, host)] = key
        inventory.system_of_check[str(check["id"])] = key
        if check.get("kind") == "login":
            system = inventory.systems[key]
            inventory.systems[key] = replace(
                system,
                login=login_form_of(check, system.login or LOGIN_FORMS.get(code)),
                username=USERNAME,
                display_name=DISPLAY_NAME,
            )
    for district in (inventory.shipped.wan or {}).get("districts", []):
        for channel in district.get("channels", []):
            inventory.channels.append(Channel(str(channel["id"]), str(district["district"])))
    return inventory
