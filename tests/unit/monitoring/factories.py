"""Checks built in code for the domain's tests, and a checks file written to a folder."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from libs.catalog import Catalog, load_catalog
from libs.catalog.checks import load_estate
from libs.catalog.checks_model import Check, Estate, Expect, HttpExpect, MailExpect, TcpExpect

T0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # a Monday, 08:00 in Hà Nội

_EXPECT: dict[str, Expect] = {
    "http": HttpExpect(),
    "login": HttpExpect(),
    "tcp": TcpExpect(),
    "smtp": MailExpect(),
    "imap": MailExpect(),
}


def a_check(kind: str = "http", **changes: Any) -> Check:
    check = Check(
        id=f"{kind}-check",
        application="TABMIS",
        kind=kind,
        target="https://tabmis.kbnn.vn/" if kind in ("http", "login") else "tabmis.kbnn.vn:1521",
        name="",
        morning=False,
        interval_s=60,
        timeout_s=5,
        confirm_failures=2,
        confirm_recoveries=2,
        flap_window_s=3600,
        flap_max_changes=4,
        flap_confirm_recoveries=5,
        priority="P2",
        expect=_EXPECT[kind],
    )
    return replace(check, **changes)


@cache
def shipped_catalog() -> Catalog:
    return load_catalog()


def estate_from(folder: Path, text: str, name: str = "checks.yaml") -> Estate:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_estate(shipped_catalog(), path)
