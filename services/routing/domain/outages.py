"""Which open incident a new report belongs to: one outage, many reports (SPEC §3.4).

A report joins an open incident when it is an incident about the same application, arrives
within the window of the outage's latest report, and describes the same problem. The
problem is read as a *kind*: an outage (cannot reach, log in, send; timeouts, HTTP 5xx,
connection errors) or something specific (wrong password, wrong figures, printing, signing,
a full mailbox, an unmapped error code). Two outages match; two specific problems match when
they share a kind; an outage and a specific problem do not — a password reset or a printing
error in the same hour is not the outage. A report that says its problem began earlier
("từ tuần trước") is not the outage either.

Wrong links cost more than missed ones (resolving the parent resolves the children), so
an unclear report ("lỗi TABMIS", "the system is hanging") is linked only on evidence: wording
close to the incident's, or the *burst* — incident reports of the same application from
different units within minutes of each other are themselves the sign of an outage. The
burst never overrides the problem's kind: a password reset (a request), a printing error or a
signing error (a specific fault), or a fault that began before, stays apart in any burst.

An incident opened by monitoring (channel `monitoring`) is the natural parent of an outage
cluster (SPEC §5): it is preferred over users' first reports, and it takes reports for as
long as it is open (monitoring resolves it when the target answers again), not only within
the window of its latest report. It is never itself a child: `is_parentless_channel`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from libs.catalog.model import DuplicatePolicy
from libs.text import words
from services.routing.domain.cues import find_cues

#: Symptoms of an outage: the system (or its link) is not there.
OUTAGE_CUES: dict[str, tuple[str, ...]] = {
    "unreachable": (
        "khong vao duoc",
        "khong vao",
        "chua vao duoc",
        "khong truy cap",
        "khong dang nhap duoc",
        "khong dang nhap",
        "khong ket noi",
        "mat ket noi",
        "loi ket noi",
        "ket noi",
        "connection",
        "timeout",
        "time out",
        "khong phan hoi",
        "trang trang",
        "quay mai",
        "bi sap",
        "gian doan",
        "ngung hoat dong",
        "khong hoat dong",
        "khong su dung duoc",
        "khong dung duoc",
        "bad gateway",
        "service unavailable",
        "gateway timeout",
        "internal server error",
        "no listener",
        "cannot login",
        "cannot connect",
        "cannot access",
        "cannot submit",
        "not responding",
        "no response",
        "unavailable",
        "is down",
        "down",
        "khong kha dung",
        "het thoi gian cho",
        "khong vo duoc",
        "khong vo",
    ),
    "not_flowing": (
        "khong gui duoc",
        "khong gui",
        "khong truyen",
        "khong day",
        "khong sang duoc",
        "khong sang",
        "khong nhan duoc",
        "khong dong bo",
        "treo",
        "cho gui",
        "bi tra ve",
        "tra ve",
        "khong nop duoc",
        "khong nop",
        "khong di",
        "chua di",
        "khong ve",
        "chua ve",
        "chua nhan duoc",
        "chua nhan",
        "khong co lenh",
        "cho mai",
        "chua co ket qua",
        "khong ra",
        "cham",
        "stuck",
        "hanging",
        "bounce",
        "bounces",
        "nothing goes out",
        "nothing comes back",
        "failed",
    ),
}

#: Specific problems: each is its own kind.
SPECIFIC_CUES: dict[str, tuple[str, ...]] = {
    "credentials": (
        "sai mat khau",
        "quen mat khau",
        "bi khoa",
        "het han mat khau",
        "account is locked",
        "invalid username",
    ),
    "figures": (
        "sai so lieu",
        "sai so",
        "so lieu sai",
        "lech",
        "chenh lech",
        "khong khop",
        "sai so du",
        "thieu",
        "bi trung",
        "tinh sai",
    ),
    "printing": ("khong in", "in ra", "mau bieu", "mau in", "loi font"),
    "signing": ("chu ky so", "ky so", "token", "chung thu so", "khong ky duoc", "khong ky"),
    "opening": ("khong mo duoc", "khong mo", "khong hien thi", "khong hien"),
    "saving": ("khong luu duoc", "khong luu"),
    "capacity": ("bao day", "hop thu day", "het dung luong", "day o", "full"),
    "security": ("gia mao", "ma doc", "virus", "phishing", "lua dao", "tan cong", "ransomware"),
}

#: Specific kinds that an outage explains when the same report also says the system is not
#: there: "không mở được, quay mãi rồi báo 503" is the outage, not a broken screen.
YIELD_TO_OUTAGE = frozenset({"opening"})

#: Error codes whose meaning is known: connection failures are outages, locked accounts are not.
CODE_KINDS: dict[str, str] = {
    "ora 12541": "unreachable",
    "ora 12170": "unreachable",
    "ora 12514": "unreachable",
    "ora 12537": "unreachable",
    "ora 12560": "unreachable",
    "ora 03113": "unreachable",
    "ora 03114": "unreachable",
    "frm 92101": "unreachable",
    "frm 92050": "unreachable",
    "http 500": "unreachable",
    "http 502": "unreachable",
    "http 503": "unreachable",
    "http 504": "unreachable",
    "loi 500": "unreachable",
    "loi 502": "unreachable",
    "loi 503": "unreachable",
    "loi 504": "unreachable",
    "bao 500": "unreachable",
    "bao 502": "unreachable",
    "bao 503": "unreachable",
    "bao 504": "unreachable",
    "ora 01017": "credentials",
    "ora 28000": "credentials",
    "ora 28001": "credentials",
}
_CODE = re.compile(r"\b(ora|frm|http|loi|bao|app|err)\s*-?\s*([0-9]{3,5})\b")

#: "The error began before": it cannot be a report of an outage that began now.
BEGAN_EARLIER = (
    "tu hom qua",
    "hom qua",
    "tu tuan truoc",
    "tuan truoc",
    "tu thang truoc",
    "thang truoc",
    "tu may hom",
    "may hom nay",
    "may ngay nay",
    "may ngay",
    "tu hom truoc",
    "hom truoc",
    "tu dau tuan",
    "tu lau",
    "lau nay",
    "thinh thoang",
    "hay bi",
    "toi qua",
    "dem qua",
    "chieu qua",
    "since yesterday",
    "last week",
)

#: Words that say nothing of the problem itself: polite forms, pronouns, "lỗi", "không".
_NOT_CONTENT = frozenset(
    words(
        "bao loi khong duoc bi da van con cua tu va cho voi khi thi la em anh chi a c oi nho "
        "giup ho tro kiem tra xin de nghi tren trong cac ca don vi nay do dang rat moi roi "
        "sang chieu nay gio h ma se o tai den di ra vao the nhung"
    )
)
_OUTAGE = "outage"
_UNKNOWN = "unknown"


@dataclass(frozen=True)
class Problem:
    """What a report says is wrong, as far as duplicate detection needs to know."""

    kind: str
    specifics: frozenset[str]
    content: frozenset[str]
    began_earlier: bool


@dataclass(frozen=True)
class Report:
    """A new ticket, as routing classified it."""

    ticket_id: str
    application: str | None
    type: str
    received_at: datetime
    text: str
    #: The requester's unit, when known: reports from different units make a burst.
    unit: str | None = None


@dataclass(frozen=True)
class OpenIncident:
    """An open incident that has no parent: the possible first report of an outage."""

    ticket_id: str
    application: str | None
    received_at: datetime
    #: The latest report of the outage so far (the incident or one of its children).
    last_report_at: datetime
    text: str
    #: Opened by monitoring: the confirmed outage itself.
    monitoring: bool = False
    #: The units that reported the outage so far (the incident's and its children's).
    units: frozenset[str] = frozenset()

    def reported_by(self, unit: str | None, at: datetime) -> OpenIncident:
        """The incident once one more report of its outage has come in."""
        return replace(
            self,
            last_report_at=max(self.last_report_at, at),
            units=self.units | {unit} if unit else self.units,
        )


#: Tickets of these channels are outages confirmed by a machine: parents, never children.
PARENTLESS_CHANNELS = frozenset({"monitoring"})


def is_parentless_channel(channel: str | None) -> bool:
    return channel in PARENTLESS_CHANNELS


@dataclass(frozen=True)
class ParentMatch:
    parent_id: str
    similarity: float
    reasons: tuple[str, ...]


def problem_of(text: str) -> Problem:
    folded = words(text)
    codes = {" ".join(m.groups()) for m in _CODE.finditer(" ".join(folded))}
    specifics = {name for name, cues in SPECIFIC_CUES.items() if find_cues(folded, cues)}
    outage = any(find_cues(folded, cues) for cues in OUTAGE_CUES.values())
    for code in codes:
        kind = CODE_KINDS.get(code)
        if kind in OUTAGE_CUES:
            outage = True
        elif code.startswith(("ora", "frm", "app")) or kind:
            specifics.add(kind or f"error {code}")
    if outage:
        specifics -= YIELD_TO_OUTAGE
    kind = "specific" if specifics else _OUTAGE if outage else _UNKNOWN
    content = frozenset(w for w in folded if w not in _NOT_CONTENT and not w.isdigit())
    began_earlier = bool(find_cues(folded, BEGAN_EARLIER))
    return Problem(kind, frozenset(specifics), content, began_earlier)


def similarity(new: Problem, old: Problem) -> tuple[float, str]:
    """0-1, and in words why: the same kind of problem, or only similar wording."""
    overlap = _jaccard(new.content, old.content)
    if new.kind == _OUTAGE and old.kind == _OUTAGE:
        return 0.6 + 0.4 * overlap, "both report the system unreachable or messages not flowing"
    if new.kind == "specific" and old.kind == "specific":
        shared = new.specifics & old.specifics
        if shared:
            share = len(shared) / len(new.specifics | old.specifics)
            return 0.5 + 0.3 * share + 0.2 * overlap, f"same problem: {', '.join(sorted(shared))}"
        return 0.0, "a different problem"
    if _UNKNOWN in (new.kind, old.kind):
        return overlap, "similar wording"
    return 0.0, "a different problem (an outage and a specific fault)"


#: The burst: a report from another unit than those that reported the outage, arriving within
#: this many minutes of the outage's latest report, is evidence by itself.
BURST_MINUTES = 30
#: What each other unit (up to `_BURST_UNITS`) adds to the similarity of a compatible report;
#: monitoring's open incident counts as that many units (a machine confirmed the outage).
_BURST_STEP = 0.1
_BURST_UNITS = 3


def burst_evidence(report: Report, incident: OpenIncident) -> int:
    """How many *other* units reported this outage recently (monitoring counts as several).

    0 when the report's unit is unknown or is the only one that reported it, or when the
    outage's latest report is older than `BURST_MINUTES`."""
    if incident.monitoring:
        return _BURST_UNITS
    recent = report.received_at - incident.last_report_at <= timedelta(minutes=BURST_MINUTES)
    if report.unit is None or not recent:
        return 0
    return min(_BURST_UNITS, len(incident.units - {report.unit}))


def compatible(new: Problem, old: Problem) -> bool:
    """Could be the same problem: not an outage against a specific fault, nor two specific
    faults of different kinds. An unclear report is compatible with anything."""
    if _UNKNOWN in (new.kind, old.kind):
        return True
    if new.kind == old.kind == "specific":
        return bool(new.specifics & old.specifics)
    return new.kind == old.kind


def parent_for(
    report: Report, open_incidents: Iterable[OpenIncident], policy: DuplicatePolicy
) -> ParentMatch | None:
    """The open incident this report is another report of, if any (best match wins).

    The score is the problems' similarity, raised by the burst when the problems are
    compatible: an unclear "lỗi TABMIS" from a third unit five minutes into an outage that two
    units reported is another report of it; the same words with no burst are not enough."""
    if report.type != "incident" or report.application is None:
        return None
    problem = problem_of(report.text)
    if problem.began_earlier:
        return None
    window = timedelta(minutes=policy.window_minutes)
    best: tuple[tuple[bool, float, int, float], OpenIncident, str] | None = None
    for incident in open_incidents:
        if incident.ticket_id == report.ticket_id or incident.application != report.application:
            continue
        if not _in_time(report, incident, window):
            continue
        theirs = problem_of(incident.text)
        score, why = similarity(problem, theirs)
        burst = burst_evidence(report, incident) if compatible(problem, theirs) else 0
        if burst:
            score = min(1.0, max(score, 0.5) + _BURST_STEP * burst)
            why = f"{why}; {_burst_words(incident, burst)}"
        if score < policy.min_similarity:
            continue
        # Monitoring's incident first, then the closest match, the biggest burst, the earliest.
        rank = (incident.monitoring, round(score, 3), burst, -incident.received_at.timestamp())
        if best is None or rank > best[0]:
            best = (rank, incident, why)
    if best is None:
        return None
    (_, score, _, _), incident, why = best
    return ParentMatch(
        incident.ticket_id, round(score, 3), (_reason(report, incident, why, score, policy),)
    )


def _burst_words(incident: OpenIncident, burst: int) -> str:
    if incident.monitoring:
        return "monitoring confirmed the outage"
    return f"a burst: {burst} other unit(s) reported it within {BURST_MINUTES} min"


def _in_time(report: Report, incident: OpenIncident, window: timedelta) -> bool:
    """After the incident began; within the window of its latest report, unless monitoring
    still holds it open."""
    if report.received_at < incident.received_at:
        return False
    return incident.monitoring or report.received_at <= incident.last_report_at + window


def _reason(
    report: Report, incident: OpenIncident, why: str, score: float, policy: DuplicatePolicy
) -> str:
    same = (
        f"another report of incident {incident.ticket_id}: same application"
        f" {report.application}, {why} (similarity {score:.2f}),"
    )
    if incident.monitoring:
        return f"{same} while monitoring's incident for the outage is open"
    minutes = int((report.received_at - incident.last_report_at).total_seconds() // 60)
    return (
        f"{same} {minutes} min after the outage's latest report"
        f" (window {policy.window_minutes} min)"
    )


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0
