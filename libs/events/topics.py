"""Topic names: one topic per source service, keyed by ticket id (ARCHITECTURE.md rule 4)."""

from __future__ import annotations

INTAKE = "hotro.intake.v1"
ROUTING = "hotro.routing.v1"
ESCALATION = "hotro.escalation.v1"
MONITORING = "hotro.monitoring.v1"
KNOWLEDGE = "hotro.knowledge.v1"
DEADLETTER = "hotro.deadletter.v1"

#: The topic each service publishes its outbox to.
TOPIC_OF_SERVICE: dict[str, str] = {
    "intake": INTAKE,
    "routing": ROUTING,
    "escalation": ESCALATION,
    "monitoring": MONITORING,
    "knowledge": KNOWLEDGE,
}
ALL_TOPICS: tuple[str, ...] = (INTAKE, ROUTING, ESCALATION, MONITORING, KNOWLEDGE, DEADLETTER)
DEFAULT_PARTITIONS = 6


def topic_name(base: str, prefix: str = "") -> str:
    """Tests give every run its own topics through a prefix (infra.md: one topic set per test)."""
    return f"{prefix}{base}" if prefix else base
