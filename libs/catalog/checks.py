"""Load the checks file (SPEC §5) and its WAN channels into a validated `Estate`.

`catalog/checks.yaml`, or the file named by `HOTRO_CHECKS_FILE`, validated like the rest of
the catalog with the same machinery (`libs/catalog/loader.py`): every problem is reported as
`catalog/checks.yaml:42: checks[3].expect.status: reason`, all of them in one pass, through
`CatalogError` (so a service refuses to start, naming file, line and field).

Secrets are never written in the file: a login's credentials are named by reference
(`credentials: {env: PREFIX}` or `{file: path}`), and a key that looks like a password
anywhere else is refused; a login form refers to them as `{username}` and `{password}`.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from libs.catalog.checks_model import (
    CREDENTIAL_NAMES,
    EXPECT_OF_KIND,
    PLACEHOLDER,
    Check,
    CheckDefaults,
    CheckEntry,
    ChecksFile,
    Estate,
    Expect,
    MaintenanceEntry,
    TcpExpect,
    WanChannel,
    WanChannelEntry,
    WanDefaults,
    WanDistrict,
    WanDistrictEntry,
    WanFile,
    Window,
    window_of,
)
from libs.catalog.loader import (
    DEFAULT_CATALOG_DIR,
    CatalogError,
    PathKey,
    Problem,
    _Document,
    _Origin,
    _parse,
    _render,
    _validate,
)
from libs.catalog.model import Catalog

__all__ = ["DEFAULT_CHECKS_FILE", "ENV_CHECKS_FILE", "checks_file", "load_estate"]

ENV_CHECKS_FILE = "HOTRO_CHECKS_FILE"
DEFAULT_CHECKS_FILE = DEFAULT_CATALOG_DIR / "checks.yaml"
#: A WAN channel is network, not an application (ĐTKB-WAN is an investment-capital system):
#: its checks have no application; their labels name the district, province and carrier.
WAN_CHANNELS_PER_DISTRICT = 2

_HOST_PORT = re.compile(
    r"^(\[[0-9A-Fa-f:]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$"
)
#: Keys that would hold a secret, compared folded (case, '-' and '_' ignored).
_SECRET_KEYS = frozenset({"password", "passwd", "pass", "pwd", "secret", "token", "apikey"})
_SECRET_REASON = (
    "secrets are never written in the checks file: name them with "
    "credentials: {env: PREFIX} or {file: path}"
)


def checks_file(path: Path | str | None = None) -> Path:
    """`path`, else $HOTRO_CHECKS_FILE, else the repository's catalog/checks.yaml."""
    if path is not None:
        return Path(path)
    env = os.environ.get(ENV_CHECKS_FILE)
    return Path(env) if env else DEFAULT_CHECKS_FILE


def load_estate(catalog: Catalog, path: Path | str | None = None) -> Estate:
    """Read and validate the checks file; raise `CatalogError` listing every problem."""
    file = checks_file(path)
    problems: list[Problem] = []
    doc = _parse(file, problems)
    estate = None if doc is None else _estate(doc, catalog, problems)
    if problems:
        raise CatalogError.of(problems)
    assert estate is not None
    return estate


def _estate(doc: _Document, catalog: Catalog, problems: list[Problem]) -> Estate | None:
    _secret_problems(doc, doc.data, (), problems)
    top = _validate(ChecksFile, doc.data, _Origin(doc, ()), problems)
    if not isinstance(top, ChecksFile):
        return None
    defaults = _validate(CheckDefaults, top.defaults, _Origin(doc, ("defaults",)), problems)
    if not isinstance(defaults, CheckDefaults):
        defaults = CheckDefaults()
    checks: dict[str, Check] = {}
    origins: dict[str, _Origin] = {}
    for index, raw in enumerate(top.checks):
        origin = _Origin(doc, ("checks", index))
        check = _check(raw, origin, defaults, catalog, problems)
        if check is not None and _unique(check.id, origin, origins, problems):
            checks[check.id] = check
    wan: list[WanDistrict] = []
    if top.wan_channels is not None:
        wan_origin = _Origin(doc, ("wan_channels",))
        wan_file = doc.file.parent / top.wan_channels
        for check, origin in _wan_checks(wan_file, wan_origin, defaults, catalog, wan, problems):
            if _unique(check.id, origin, origins, problems):
                checks[check.id] = check
    windows = _shared_windows(doc, top.maintenance, checks, catalog, problems)
    resolved = tuple(_with_windows(check, windows) for check in checks.values())
    return Estate(file=str(doc.file), defaults=defaults, checks=resolved, wan=tuple(wan))


def _unique(
    check_id: str, origin: _Origin, seen: dict[str, _Origin], problems: list[Problem]
) -> bool:
    if check_id in seen:
        problems.append(
            origin.problem(
                "id", reason=f"duplicate check id {check_id!r} (first at {seen[check_id].where()})"
            )
        )
        return False
    seen[check_id] = origin
    return True


def _secret_problems(doc: _Document, data: Any, path: PathKey, problems: list[Problem]) -> None:
    """A password-like key is refused, except a login form field whose value is a placeholder."""
    if isinstance(data, dict):
        for key, value in data.items():
            here = (*path, key)
            folded = re.sub(r"[-_]", "", str(key)).lower()
            if folded in _SECRET_KEYS:
                in_form = bool(path) and path[-1] == "form"
                if not (in_form and isinstance(value, str) and PLACEHOLDER.fullmatch(value)):
                    where = _render(here)
                    reason = (
                        f"{_SECRET_REASON}; the form refers to it as '{{password}}'"
                        if in_form
                        else _SECRET_REASON
                    )
                    problems.append(Problem(doc.file, doc.line(here), where, reason))
                    continue
            _secret_problems(doc, value, here, problems)
    elif isinstance(data, list):
        for index, item in enumerate(data):
            _secret_problems(doc, item, (*path, index), problems)


def _target_problem(kind: str, target: str) -> str | None:
    if kind in ("http", "login"):
        url = urlparse(target)
        if url.scheme not in ("http", "https") or not url.hostname:
            return f"{target!r} is not an http(s) URL"
        return None
    match = _HOST_PORT.match(target)
    if match is None or not 1 <= int(match.group(2)) <= 65535:
        return f"{target!r} is not host:port"
    return None


def _check(
    raw: Any, origin: _Origin, defaults: CheckDefaults, catalog: Catalog, problems: list[Problem]
) -> Check | None:
    entry = _validate(CheckEntry, raw, origin, problems)
    if not isinstance(entry, CheckEntry):
        return None
    before = len(problems)
    if entry.application not in catalog.applications:
        problems.append(
            origin.problem(
                "application", reason=f"{entry.application!r} is not a known application"
            )
        )
    reason = _target_problem(entry.kind, entry.target)
    if reason:
        problems.append(origin.problem("target", reason=reason))
    expect_model = EXPECT_OF_KIND[entry.kind]
    expect = _validate(
        expect_model, entry.expect, _Origin(origin.doc, (*origin.path, "expect")), problems
    )
    _login_problems(entry, origin, problems)
    windows: list[Window] = []
    for w, raw_window in enumerate(entry.maintenance):
        if raw_window.applications or raw_window.checks:
            problems.append(
                origin.problem(
                    "maintenance",
                    w,
                    reason="a check's own window covers that check: remove applications/checks",
                )
            )
        windows.append(window_of(raw_window))
    folder = origin.doc.file.parent
    ca_file = None
    if entry.ca_file is not None:
        ca_path = folder / entry.ca_file
        if not ca_path.is_file():
            problems.append(origin.problem("ca_file", reason=f"{entry.ca_file!r}: file not found"))
        ca_file = str(ca_path)
    if len(problems) > before or expect is None:
        return None
    credentials = entry.credentials
    return Check(
        id=entry.id,
        application=entry.application,
        kind=entry.kind,
        target=entry.target,
        name=entry.name,
        morning=entry.morning,
        interval_s=_pick(entry.interval_s, defaults.interval_s),
        timeout_s=_pick(entry.timeout_s, defaults.timeout_s),
        confirm_failures=_pick(entry.confirm_failures, defaults.confirm_failures),
        confirm_recoveries=_pick(entry.confirm_recoveries, defaults.confirm_recoveries),
        flap_window_s=defaults.flap_window_s,
        flap_max_changes=defaults.flap_max_changes,
        flap_confirm_recoveries=defaults.flap_confirm_recoveries,
        priority=entry.priority,
        expect=expect,  # type: ignore[arg-type]
        steps=tuple(entry.steps),
        credentials=credentials,
        credentials_file=(
            str(folder / credentials.file) if credentials and credentials.file else None
        ),
        ca_file=ca_file,
        maintenance=tuple(windows),
        labels=dict(entry.labels),
    )


def _pick(value: Any, default: Any) -> Any:
    return default if value is None else value


def _login_problems(entry: CheckEntry, origin: _Origin, problems: list[Problem]) -> None:
    if entry.kind != "login":
        if entry.steps:
            problems.append(origin.problem("steps", reason="only a login check has steps"))
        if entry.credentials is not None:
            problems.append(
                origin.problem("credentials", reason="only a login check has credentials")
            )
        return
    if not entry.steps:
        problems.append(origin.problem("steps", reason="a login check needs at least one step"))
        return
    if entry.credentials is None:
        problems.append(
            origin.problem(
                "credentials",
                reason="a login check needs credentials: {env: PREFIX} or {file: path}",
            )
        )
    known = set(CREDENTIAL_NAMES)
    for s, step in enumerate(entry.steps):
        for key, value in [(("url",), step.url)] + [(("form", k), v) for k, v in step.form.items()]:
            for name in PLACEHOLDER.findall(value):
                if name not in known:
                    problems.append(
                        origin.problem(
                            "steps",
                            s,
                            *key,
                            reason=f"'{{{name}}}' is neither a credential (username, password) "
                            "nor extracted by an earlier step",
                        )
                    )
        known |= set(step.extract)
    if entry.steps[-1].expect.body_contains is None:
        problems.append(
            origin.problem(
                "steps",
                len(entry.steps) - 1,
                "expect",
                "body_contains",
                reason="the last step needs the marker that proves the sign-in worked",
            )
        )


def _shared_windows(
    doc: _Document,
    raws: list[dict[str, object]],
    checks: dict[str, Check],
    catalog: Catalog,
    problems: list[Problem],
) -> list[tuple[MaintenanceEntry, Window]]:
    windows = []
    for w, raw in enumerate(raws):
        origin = _Origin(doc, ("maintenance", w))
        entry = _validate(MaintenanceEntry, raw, origin, problems)
        if not isinstance(entry, MaintenanceEntry):
            continue
        if not entry.applications and not entry.checks:
            problems.append(
                origin.problem(reason="a window names the applications or checks it covers")
            )
        for a, code in enumerate(entry.applications):
            if code not in catalog.applications:
                problems.append(
                    origin.problem("applications", a, reason=f"{code!r} is not a known application")
                )
        for c, check_id in enumerate(entry.checks):
            if check_id not in checks:
                problems.append(origin.problem("checks", c, reason=f"{check_id!r} is not a check"))
        windows.append((entry, window_of(entry)))
    return windows


def _with_windows(check: Check, windows: list[tuple[MaintenanceEntry, Window]]) -> Check:
    covering = [
        window
        for entry, window in windows
        if check.application in entry.applications or check.id in entry.checks
    ]
    if not covering:
        return check
    return replace(check, maintenance=(*check.maintenance, *covering))


# --------------------------------------------------------------------------------------------
# WAN channels
# --------------------------------------------------------------------------------------------


def _wan_checks(
    file: Path,
    reference: _Origin,
    defaults: CheckDefaults,
    catalog: Catalog,
    districts: list[WanDistrict],
    problems: list[Problem],
) -> list[tuple[Check, _Origin]]:
    if not file.is_file():
        problems.append(reference.problem(reason=f"{file.name}: file not found"))
        return []
    doc = _parse(file, problems)
    if doc is None:
        return []
    top = _validate(WanFile, doc.data, _Origin(doc, ()), problems)
    if not isinstance(top, WanFile):
        return []
    out: list[tuple[Check, _Origin]] = []
    seen: dict[str, _Origin] = {}
    for index, raw in enumerate(top.districts):
        origin = _Origin(doc, ("districts", index))
        entry = _validate(WanDistrictEntry, raw, origin, problems)
        if not isinstance(entry, WanDistrictEntry):
            continue
        unit = catalog.units.get(entry.district)
        if unit is None or unit.kind != "kbnn_district" or unit.province is None:
            problems.append(
                origin.problem(
                    "district", reason=f"{entry.district!r} is not a district treasury unit"
                )
            )
            continue
        if entry.district in seen:
            problems.append(
                origin.problem(
                    "district",
                    reason=f"{entry.district!r} is listed twice (first at {seen[entry.district].where()})",
                )
            )
            continue
        seen[entry.district] = origin
        if len(entry.channels) != WAN_CHANNELS_PER_DISTRICT:
            problems.append(
                origin.problem(
                    "channels",
                    reason=f"a district has {WAN_CHANNELS_PER_DISTRICT} channels "
                    f"(got {len(entry.channels)})",
                )
            )
        channels = []
        for c, channel in enumerate(entry.channels):
            reason = _target_problem("tcp", channel.target)
            if reason:
                problems.append(origin.problem("channels", c, "target", reason=reason))
                continue
            channels.append(
                WanChannel(channel.id, channel.carrier, channel.contact, channel.target)
            )
            check = _wan_check(
                channel, c + 1, entry, unit.name, unit.province, top.defaults, defaults
            )
            out.append((check, _Origin(doc, ("districts", index, "channels", c))))
        districts.append(WanDistrict(entry.district, unit.province, unit.name, tuple(channels)))
    return out


def _wan_check(
    channel: WanChannelEntry,
    number: int,
    entry: WanDistrictEntry,
    district_name: str,
    province: str,
    wan: WanDefaults,
    defaults: CheckDefaults,
) -> Check:
    expect: Expect = channel.expect if channel.expect else TcpExpect()
    return Check(
        id=channel.id,
        application=None,
        kind="tcp",
        target=channel.target,
        name=f"Kênh truyền {number} {district_name} ({channel.carrier})",
        morning=False,
        interval_s=wan.interval_s,
        timeout_s=wan.timeout_s,
        confirm_failures=defaults.confirm_failures,
        confirm_recoveries=defaults.confirm_recoveries,
        flap_window_s=defaults.flap_window_s,
        flap_max_changes=defaults.flap_max_changes,
        flap_confirm_recoveries=defaults.flap_confirm_recoveries,
        priority=wan.priority,
        expect=expect,
        labels={
            "district": entry.district,
            "province": province,
            "channel": str(number),
            "carrier": channel.carrier,
            "carrier_contact": channel.contact.name,
            "carrier_phone": channel.contact.phone,
            "topic": "network",
        },
    )
