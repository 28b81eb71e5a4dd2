"""Typed, versioned event contracts shared by every service (ARCHITECTURE.md rule 4).

A schema is never edited once published: a change is a new `...vN` type plus an upcaster in
`upcasting.py`, so consumers only ever see the newest shape.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, TypeVar

import msgspec


class EventData(msgspec.Struct, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = ""
    ticket_id: str


class DeclaredUnit(msgspec.Struct, frozen=True, kw_only=True):
    kind: str
    province: str | None = None
    name: str = ""


class Requester(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    email: str | None = None
    phone: str | None = None
    unit_code: str | None = None
    unit: DeclaredUnit | None = None


class TicketSubmitted(EventData, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = "hotro.ticket.submitted.v1"
    number: str
    channel: str
    requester: Requester
    subject: str
    description: str
    received_at: datetime
    application_code: str | None = None
    priority: str = "P3"
    #: The requester's unit as intake resolved it (kind/province), so routing needs no directory.
    unit_kind: str | None = None
    unit_province: str | None = None
    #: The requester's urgency and how the desk's priority was decided (issue 13).
    urgency: str | None = None
    priority_basis: str = ""
    #: The requester's form session (knowledge base suggestions), for deflection (SPEC §6b).
    kb_session: str | None = None


class Classification(msgspec.Struct, frozen=True, kw_only=True):
    model_version: str
    confidence: float
    source: str


class FirstHandler(msgspec.Struct, frozen=True, kw_only=True):
    kind: str
    tier: str
    office: str
    policy_version: str
    rule: str = ""
    reason: str = ""


class TicketRouted(EventData, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = "hotro.ticket.routed.v1"
    group: str
    type: str
    application: str | None
    picked_application: str | None
    classification: Classification
    first_handler: FirstHandler
    received_at: datetime
    priority: str = "P3"
    reasons: list[str] = []


class TicketAssigned(EventData, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = "hotro.ticket.assigned.v1"
    tier: str
    owner: str
    handler: str
    group: str
    assigned_at: datetime
    reason: str = ""


class CheckRecorded(msgspec.Struct, frozen=True, kw_only=True):
    """A monitoring check result; `ticket_id` is absent because checks are keyed by target."""

    TYPE: ClassVar[str] = "hotro.check.recorded.v1"
    target: str
    ok: bool
    checked_at: datetime
    detail: str = ""


class TicketStatusChanged(EventData, frozen=True, kw_only=True):
    """Intake owns the lifecycle (SPEC §8 statuses); `cause` is set when resolving (SPEC §3.2)."""

    TYPE: ClassVar[str] = "hotro.ticket.status_changed.v1"
    status: str
    previous: str
    actor: str
    at: datetime
    reason: str = ""
    cause: str | None = None


class TicketCommented(EventData, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = "hotro.ticket.commented.v1"
    author: str
    author_role: str
    visibility: str
    body: str
    at: datetime
    channel: str = "web"
    message_id: str | None = None


class TicketAttachmentAdded(EventData, frozen=True, kw_only=True):
    """A file given with a ticket or a reply; `stored` is False when the policy refused it
    (mail cannot be answered with a 4xx, so a refused file is still recorded, with the reason)."""

    TYPE: ClassVar[str] = "hotro.ticket.attachment_added.v1"
    attachment_id: str
    filename: str
    content_type: str
    size: int
    sha256: str
    stored: bool
    at: datetime
    source: str = "web"
    refused_reason: str = ""


class TicketEmailReceived(EventData, frozen=True, kw_only=True):
    """A message that became this ticket or a comment on it, kept whole as text: `text` with
    quoted history and signature; the ticket description or comment holds only the new text."""

    TYPE: ClassVar[str] = "hotro.ticket.email_received.v1"
    message_id: str | None
    sender: str
    sender_name: str
    subject: str
    text: str
    html: str | None
    received_at: datetime
    to: list[str] = []
    cc: list[str] = []
    in_reply_to: str | None = None
    references: list[str] = []
    #: How it was threaded ("new ticket", "in-reply-to <…> belongs to YC-…").
    threading: str = ""
    #: True when the sender gets an automatic acknowledgement (never to robots: SPEC §2).
    acknowledge: bool = False


class TicketRequesterUndeliverable(EventData, frozen=True, kw_only=True):
    """A message we sent about this ticket bounced: the address is marked undeliverable."""

    TYPE: ClassVar[str] = "hotro.ticket.requester_undeliverable.v1"
    address: str
    bounced_message_id: str
    reason: str
    at: datetime


class MailTakenIn(msgspec.Struct, frozen=True, kw_only=True):
    """One inbound message and what intake made of it (SPEC §2, §7 `/inbound/email`).

    Keyed by `mail_id`, not a ticket: a dead letter has no ticket. `replay` marks an admin's
    re-run of a dead letter."""

    TYPE: ClassVar[str] = "hotro.mail.taken_in.v1"
    mail_id: str
    message_id: str | None
    outcome: str
    reason: str
    ticket_id: str | None
    sender: str
    subject: str
    channel: str
    raw_sha256: str
    size: int
    received_at: datetime
    at: datetime
    replay: bool = False


class TicketTaken(EventData, frozen=True, kw_only=True):
    """Someone at the current tier takes the ticket to work on it (`assign`)."""

    TYPE: ClassVar[str] = "hotro.ticket.taken.v1"
    tier: str
    handler: str
    assignee: str
    actor: str
    at: datetime


class TicketEscalated(EventData, frozen=True, kw_only=True):
    """One step up the ladder; the owner stays (SPEC §4: a province that escalates keeps it)."""

    TYPE: ClassVar[str] = "hotro.ticket.escalated.v1"
    from_tier: str
    tier: str
    owner: str
    handler: str
    reason: str
    actor: str
    at: datetime
    automatic: bool = False


class TicketReturned(EventData, frozen=True, kw_only=True):
    """The answer comes back down to the owner, who replies to the requester."""

    TYPE: ClassVar[str] = "hotro.ticket.returned.v1"
    from_tier: str
    tier: str
    owner: str
    handler: str
    answer: str
    actor: str
    at: datetime


class TicketTransferred(EventData, frozen=True, kw_only=True):
    """Reclassified to another group: the ticket moves to that group's queue at the same tier."""

    TYPE: ClassVar[str] = "hotro.ticket.transferred.v1"
    tier: str
    owner: str
    handler: str
    group: str
    previous_group: str
    actor: str
    at: datetime


class SlaUpdated(EventData, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = "hotro.ticket.sla_updated.v1"
    policy: str
    priority: str
    response_due: datetime | None
    resolution_due: datetime | None
    paused: bool
    breached: list[str]
    at: datetime
    responded: bool = False
    resolved: bool = False
    #: When the next target falls due (None: nothing can breach: paused, met or resolved).
    next_breach_at: datetime | None = None
    #: The first response (`start`, assignment or the desk's first public reply; issue 13).
    responded_at: datetime | None = None
    #: While paused: the business time left of each target not yet met, in seconds.
    response_left_s: int | None = None
    resolution_left_s: int | None = None


class SlaBreached(EventData, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = "hotro.ticket.sla_breached.v1"
    kind: str
    due: datetime
    at: datetime
    group_lead: str = ""


class KnownErrorChanged(EventData, frozen=True, kw_only=True):
    """A known error was opened, joined by a ticket, or moved on (`change`); `ticket_id` is
    the ticket concerned (the one joining, or the first one)."""

    TYPE: ClassVar[str] = "hotro.known_error.changed.v1"
    known_error_id: str
    change: str
    status: str
    at: datetime
    number: str = ""
    application: str = ""
    department: str = ""
    title: str = ""
    note: str = ""
    actor: str = ""


class TicketReclassified(EventData, frozen=True, kw_only=True):
    """An operator corrected routing's classification (SPEC §3.1); it also teaches the model."""

    TYPE: ClassVar[str] = "hotro.ticket.reclassified.v1"
    group: str
    type: str
    application: str | None
    previous_group: str
    previous_type: str
    previous_application: str | None
    actor: str
    role: str
    at: datetime
    reason: str = ""


class TicketLinked(EventData, frozen=True, kw_only=True):
    """Another report of an outage: `ticket_id` becomes a child of `parent_id` (SPEC §3.4)."""

    TYPE: ClassVar[str] = "hotro.ticket.linked.v1"
    parent_id: str
    automatic: bool
    actor: str
    at: datetime
    similarity: float | None = None
    reasons: list[str] = []


class TicketUnlinked(EventData, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = "hotro.ticket.unlinked.v1"
    parent_id: str
    actor: str
    at: datetime
    reason: str = ""


class TicketResolutionRequested(EventData, frozen=True, kw_only=True):
    """The parent of this child was resolved: intake resolves the child (cause `duplicate`)
    and tells its requester (SPEC §3.4). Routing asks; intake owns the status."""

    TYPE: ClassVar[str] = "hotro.ticket.resolution_requested.v1"
    parent_id: str
    cause: str
    at: datetime
    parent_cause: str | None = None
    note: str = ""


CONTRACTS: dict[str, type[msgspec.Struct]] = {
    cls.TYPE: cls
    for cls in (
        TicketSubmitted,
        TicketRouted,
        TicketAssigned,
        CheckRecorded,
        TicketStatusChanged,
        TicketCommented,
        TicketTaken,
        TicketEscalated,
        TicketReturned,
        TicketTransferred,
        SlaUpdated,
        SlaBreached,
        KnownErrorChanged,
        TicketAttachmentAdded,
        TicketEmailReceived,
        TicketRequesterUndeliverable,
        MailTakenIn,
        TicketReclassified,
        TicketLinked,
        TicketUnlinked,
        TicketResolutionRequested,
    )
}


class UnknownEventType(KeyError):
    pass


def contract_for(event_type: str) -> type[msgspec.Struct]:
    try:
        return CONTRACTS[event_type]
    except KeyError as error:
        raise UnknownEventType(event_type) from error


def data_of(event: msgspec.Struct) -> dict[str, Any]:
    """The JSON-ready `data` of an envelope (datetimes as ISO 8601 strings)."""
    result: dict[str, Any] = msgspec.to_builtins(event)
    return result


S = TypeVar("S", bound=msgspec.Struct)


def contract_from(domain_event: Any, contract: type[S], **given: Any) -> S:
    """The public contract of a stored domain event: every field of `contract` is taken from
    the event's attribute of the same name, unless `given`. A field the event lacks and
    nobody gives fails loudly, so a mapping cannot silently drop data."""
    values: dict[str, Any] = {}
    for field in msgspec.structs.fields(contract):
        if field.name in given:
            values[field.name] = given[field.name]
        elif hasattr(domain_event, field.name):
            values[field.name] = getattr(domain_event, field.name)
    return msgspec.convert(values, contract, strict=False)


def parse_data(event_type: str, data: dict[str, Any]) -> msgspec.Struct:
    """Validate `data` against the contract of `event_type` (raises msgspec.ValidationError)."""
    return msgspec.convert(data, contract_for(event_type), strict=False)


class CheckStateChanged(msgspec.Struct, frozen=True, kw_only=True):
    """A monitored target's confirmed state changed (SPEC §5): up, down, unknown, maintenance.

    Published to hotro.monitoring.v1 keyed by `check_id` (no ticket yet: intake opens one from
    it). `since` is when the new state began (a down target's first failed check), so an outage
    lasts from the down event's `since` to the next up event's `since`; `previous_since` gives
    the same without state. `application` is None for a WAN channel, whose `labels` carry
    district, province, carrier and the carrier's contact."""

    TYPE: ClassVar[str] = "hotro.check.state_changed.v1"
    check_id: str
    application: str | None
    kind: str
    state: str
    previous: str
    since: datetime
    reason: str
    at: datetime
    previous_since: datetime | None = None
    target: str = ""
    name: str = ""
    priority: str = "P2"
    morning: bool = False
    flapping: bool = False
    #: Consecutive failed checks behind a down state.
    failures: int = 0
    labels: dict[str, str] = {}


CONTRACTS[CheckStateChanged.TYPE] = CheckStateChanged


class IncidentChanged(msgspec.Struct, frozen=True, kw_only=True):
    """What every monitoring incident event carries (SPEC §5 Incidents): monitoring owns the
    incident, intake opens, resolves and reopens the ticket from these facts alone.

    Published to hotro.monitoring.v1 keyed by `incident_id`. `source` is `check` (a target of
    the checks file), `wan` (a district treasury left with too few working channels) or
    `alertmanager` (an alert `fingerprint`); `key` names the target, district or fingerprint
    and stays the same when a recurring failure opens a later incident. `subject` and
    `description` are Vietnamese, for the ticket. `down_since` is when the incident's first
    failure began; `labels` carry a WAN district's `district`, `province` and channels."""

    incident_id: str
    source: str
    key: str
    application: str | None
    priority: str
    subject: str
    description: str
    down_since: datetime
    at: datetime
    check_id: str | None = None
    fingerprint: str | None = None
    reason: str = ""
    labels: dict[str, str] = {}
    #: Alertmanager: alerts the webhook left out of the payload that told this.
    truncated_alerts: int = 0


class IncidentOpened(IncidentChanged, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = "hotro.incident.opened.v1"


class IncidentUpdated(IncidentChanged, frozen=True, kw_only=True):
    """A later failure attached to the open incident (another reason, channel or priority);
    `change` says what changed, in Vietnamese."""

    TYPE: ClassVar[str] = "hotro.incident.updated.v1"
    change: str = ""


class IncidentResolved(IncidentChanged, frozen=True, kw_only=True):
    """Recovered: `recovered_at` is when the target answered again; the outage lasted
    `outage_seconds` (every down period of the incident, a reopened one included)."""

    TYPE: ClassVar[str] = "hotro.incident.resolved.v1"
    recovered_at: datetime
    outage_seconds: int
    outage_minutes: float


class IncidentReopened(IncidentChanged, frozen=True, kw_only=True):
    """A failure again within the quiet period after recovery: the same incident, open again
    (`down_since` stays the first failure's; `failed_again_at` is this one's)."""

    TYPE: ClassVar[str] = "hotro.incident.reopened.v1"
    failed_again_at: datetime
    previous_recovered_at: datetime | None = None


class TicketMonitoringChanged(EventData, frozen=True, kw_only=True):
    """Intake's record of the monitoring incident behind a ticket (SPEC §7 `monitoring`):
    `change` is opened, updated, resolved or reopened, as monitoring told it."""

    TYPE: ClassVar[str] = "hotro.ticket.monitoring_changed.v1"
    incident_id: str
    source: str
    change: str
    down_since: datetime
    at: datetime
    check_id: str | None = None
    fingerprint: str | None = None
    priority: str = ""
    recovered_at: datetime | None = None
    outage_minutes: float | None = None


for _incident_contract in (
    IncidentOpened,
    IncidentUpdated,
    IncidentResolved,
    IncidentReopened,
    TicketMonitoringChanged,
):
    CONTRACTS[_incident_contract.TYPE] = _incident_contract


class NoticePublished(msgspec.Struct, frozen=True, kw_only=True):
    """An operator published a notice on the status page (SPEC §5): an announcement of an
    outage (`kind` announcement, status investigating | identified | monitoring) or a
    scheduled maintenance (`kind` maintenance, status scheduled | in_progress). Keyed by
    `notice_id`. `applications` are catalog codes; `description` is what happened (or what
    the maintenance does), `guidance` what users should do meanwhile."""

    TYPE: ClassVar[str] = "hotro.notice.published.v1"
    notice_id: str
    kind: str
    title: str
    applications: list[str]
    description: str
    guidance: str
    status: str
    actor: str
    at: datetime
    expected_fix_at: datetime | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class NoticeUpdated(msgspec.Struct, frozen=True, kw_only=True):
    """An update of a notice: its new `status` (announcement: investigating → identified →
    monitoring → resolved; maintenance: scheduled → in_progress → completed | cancelled), the
    message, and what it changed (None: unchanged). Keyed by `notice_id`."""

    TYPE: ClassVar[str] = "hotro.notice.updated.v1"
    notice_id: str
    kind: str
    status: str
    previous: str
    message: str
    actor: str
    at: datetime
    title: str = ""
    applications: list[str] = []
    guidance: str | None = None
    expected_fix_at: datetime | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


CONTRACTS[NoticePublished.TYPE] = NoticePublished
CONTRACTS[NoticeUpdated.TYPE] = NoticeUpdated


class ReadinessCheckResult(msgspec.Struct, frozen=True, kw_only=True):
    """One morning check's final result in a round (after its retries)."""

    check_id: str
    application: str | None
    ok: bool
    checked_at: datetime | None
    duration_ms: int
    reason: str | None = None
    name: str = ""
    kind: str = ""
    degraded: bool = False
    attempts: int = 1


class ReadinessRoundCompleted(msgspec.Struct, frozen=True, kw_only=True):
    """A run of the morning readiness round finished (SPEC §5), keyed by `date`, the treasury
    day (YYYY-MM-DD). `checks` is every morning check's result, so readiness per day and system
    is built from this event alone. A repeated run of the same day is another event with a
    higher `run`; the latest run of a day is its current result. `trigger` is `schedule`,
    `catch_up` (the service was down at 07:00) or `manual` (POST /readiness/run)."""

    TYPE: ClassVar[str] = "hotro.readiness.round_completed.v1"
    date: str
    run: int
    trigger: str
    started_at: datetime
    completed_at: datetime
    late: bool
    systems_total: int
    systems_ready: int
    checks: list[ReadinessCheckResult]


class ReadinessReportSent(msgspec.Struct, frozen=True, kw_only=True):
    """The day's readiness report went out (once per day), for run `run`."""

    TYPE: ClassVar[str] = "hotro.readiness.report_sent.v1"
    date: str
    run: int
    sent_at: datetime
    late: bool
    recipients: list[str]
    systems_total: int
    systems_ready: int
    message_id: str = ""


class ReadinessLoginFailed(msgspec.Struct, frozen=True, kw_only=True):
    """A scripted login of the morning round failed after its retries; the lead of the
    application's group was told at once (mail, and the webhook notifier if configured)."""

    TYPE: ClassVar[str] = "hotro.readiness.login_failed.v1"
    date: str
    run: int
    check_id: str
    application: str | None
    name: str
    group: str | None
    lead_email: str | None
    reason: str
    checked_at: datetime
    at: datetime


for _readiness in (ReadinessRoundCompleted, ReadinessReportSent, ReadinessLoginFailed):
    CONTRACTS[_readiness.TYPE] = _readiness


class ArticleDrafted(msgspec.Struct, frozen=True, kw_only=True):
    """A knowledge-base article was drafted (SPEC §6b), by `author`; `source_ticket_id` when
    it was drawn from a resolved ticket (the link from the ticket to the article). Keyed by
    `article_id` on hotro.knowledge.v1."""

    TYPE: ClassVar[str] = "hotro.kb.article_drafted.v1"
    article_id: str
    revision: int
    title: str
    symptom: str
    cause: str
    fix: str
    applications: list[str]
    keywords: list[str]
    audience: str
    author: str
    at: datetime
    reason: str = ""
    source_ticket_id: str | None = None


class ArticleRevised(msgspec.Struct, frozen=True, kw_only=True):
    """An article was edited: revision `revision` (a new one when the article was published,
    whose published revision stays readable) now holds this content, as a draft."""

    TYPE: ClassVar[str] = "hotro.kb.article_revised.v1"
    article_id: str
    revision: int
    title: str
    symptom: str
    cause: str
    fix: str
    applications: list[str]
    keywords: list[str]
    audience: str
    actor: str
    at: datetime
    reason: str = ""


class ArticleStatusChanged(msgspec.Struct, frozen=True, kw_only=True):
    """An article moved along its lifecycle: draft → in_review → published → retired."""

    TYPE: ClassVar[str] = "hotro.kb.article_status_changed.v1"
    article_id: str
    revision: int
    status: str
    previous: str
    actor: str
    at: datetime
    reason: str = ""


class ArticleUsed(msgspec.Struct, frozen=True, kw_only=True):
    """A handler used an article on a ticket (the handler's side of deflection)."""

    TYPE: ClassVar[str] = "hotro.kb.article_used.v1"
    article_id: str
    ticket_id: str
    actor: str
    at: datetime


for _kb in (ArticleDrafted, ArticleRevised, ArticleStatusChanged, ArticleUsed):
    CONTRACTS[_kb.TYPE] = _kb


# --- the desk's decisions and corrections (issue 13) -------------------------------------


class TicketPriorityChanged(EventData, frozen=True, kw_only=True):
    """The desk set another priority, with a reason; escalation recomputes the SLA due times
    from it (the clock's start and pauses stay)."""

    TYPE: ClassVar[str] = "hotro.ticket.priority_changed.v1"
    priority: str
    previous: str
    reason: str
    actor: str
    at: datetime
    automatic: bool = False


class TicketCorrected(EventData, frozen=True, kw_only=True):
    """An operator corrected what was recorded: `changes` holds the new values of the fields
    that differ (subject, requester, unit_kind, unit_province), `previous` their old ones. A
    changed province moves the ticket to the new province's IT office (escalation decides)."""

    TYPE: ClassVar[str] = "hotro.ticket.corrected.v1"
    changes: dict[str, Any]
    previous: dict[str, Any]
    reason: str
    actor: str
    at: datetime


class TicketMerged(EventData, frozen=True, kw_only=True):
    """`ticket_id` was closed into `into_id` (the same request told twice); its requester is
    told by mail. The survivor records `hotro.ticket.merge_received.v1`."""

    TYPE: ClassVar[str] = "hotro.ticket.merged.v1"
    into_id: str
    into_number: str
    reason: str
    actor: str
    at: datetime


class TicketMergeReceived(EventData, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = "hotro.ticket.merge_received.v1"
    merged_id: str
    merged_number: str
    reason: str
    actor: str
    at: datetime


for _desk_contract in (
    TicketPriorityChanged,
    TicketCorrected,
    TicketMerged,
    TicketMergeReceived,
):
    CONTRACTS[_desk_contract.TYPE] = _desk_contract
