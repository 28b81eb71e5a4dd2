"""Priority is the desk's decision: ITIL's impact × urgency matrix, as data (issue 13).

The requester declares how urgent the matter is for them; the desk judges the impact from the
application they picked; `catalog/priority.yaml` says what each pair is worth. Who may simply
state a priority (the desk's own roles, monitoring through the integration role) is decided
here too, so the gateway only asks.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Priority = Literal["P1", "P2", "P3", "P4"]
PRIORITIES: tuple[str, ...] = ("P1", "P2", "P3", "P4")
#: Callers whose `priority` is the desk's word (phone logs, imports, monitoring).
PRIORITY_SETTERS = frozenset({"province_it", "group_agent", "group_lead", "integration", "admin"})


class Level(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1)


class ImpactRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    default: str
    applications: dict[str, str] = Field(default_factory=dict)


class PriorityMatrix(BaseModel):
    """`catalog/priority.yaml`, validated: every impact × urgency pair has a priority."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    version: int = 1
    urgencies: list[Level]
    default_urgency: str
    impacts: list[Level]
    matrix: dict[str, dict[str, Priority]]
    impact_of: ImpactRules
    legacy_priority: dict[Priority, str]
    public_ceiling: Priority = "P2"

    @model_validator(mode="after")
    def _complete(self) -> PriorityMatrix:
        urgencies = [u.code for u in self.urgencies]
        impacts = [i.code for i in self.impacts]
        if self.default_urgency not in urgencies:
            raise ValueError(f"default_urgency {self.default_urgency!r} is not an urgency")
        for impact in impacts:
            row = self.matrix.get(impact)
            if row is None or set(row) != set(urgencies):
                raise ValueError(f"matrix.{impact} must give a priority for {urgencies}")
        if set(self.matrix) != set(impacts):
            raise ValueError(f"matrix names impacts {sorted(self.matrix)}, expected {impacts}")
        named = [self.impact_of.default, *self.impact_of.applications.values()]
        unknown = sorted({i for i in named if i not in impacts})
        if unknown:
            raise ValueError(f"impact_of names unknown impacts {unknown}; one of {impacts}")
        if set(self.legacy_priority) != set(PRIORITIES) or not set(
            self.legacy_priority.values()
        ) <= set(urgencies):
            raise ValueError("legacy_priority maps each of P1–P4 to an urgency")
        return self

    @property
    def urgency_codes(self) -> tuple[str, ...]:
        return tuple(u.code for u in self.urgencies)

    def impact_for(self, application: str | None) -> str:
        """The impact the desk assumes at submission: the picked application's, else default."""
        if application and application in self.impact_of.applications:
            return self.impact_of.applications[application]
        return self.impact_of.default

    def priority_for(self, impact: str, urgency: str) -> str:
        return self.matrix[impact][urgency]


class PriorityRefused(ValueError):
    """A priority change the desk's rules do not allow (the gateway answers 422 or 409)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def urgency_of(declared: str | None, legacy: str | None, matrix: PriorityMatrix) -> str:
    """What the requester said: `urgency`, else an old client's `priority` read as urgency."""
    if declared:
        if declared not in matrix.urgency_codes:
            raise PriorityRefused(
                "urgency",
                f"Mức khẩn cấp '{declared}' không hợp lệ. / Unknown urgency {declared!r}; "
                f"one of: {', '.join(matrix.urgency_codes)}.",
            )
        return declared
    if legacy:
        return matrix.legacy_priority[legacy]  # type: ignore[index]
    return matrix.default_urgency


def submission_priority(
    role: str | None,
    stated: str | None,
    urgency: str | None,
    application: str | None,
    matrix: PriorityMatrix,
) -> tuple[str, str, str]:
    """(priority, urgency, how it was decided) for a new ticket.

    The desk's roles keep the priority they state (a phone operator, an import, monitoring);
    anyone else's — the public, a requester — is only their urgency (issue 13: an anonymous
    caller could declare P1), and the matrix decides, no higher than `public_ceiling`."""
    said = urgency_of(urgency, stated, matrix)
    if stated and role in PRIORITY_SETTERS:
        return stated, said, "stated"
    impact = matrix.impact_for(application)
    priority = matrix.priority_for(impact, said)
    basis = f"matrix: impact {impact} × urgency {said}"
    if role not in PRIORITY_SETTERS and priority < matrix.public_ceiling:
        return matrix.public_ceiling, said, f"{basis} → {priority}, at most {matrix.public_ceiling}"
    return priority, said, basis


def check_priority_change(new: str, reason: str) -> None:
    """An operator's change names a priority P1–P4 and says why (the history keeps it)."""
    if new not in PRIORITIES:
        raise PriorityRefused(
            "priority",
            f"Mức ưu tiên '{new}' không hợp lệ. / Unknown priority {new!r}; one of P1–P4.",
        )
    if not reason.strip():
        raise PriorityRefused(
            "reason",
            "Cần nêu lý do đổi mức ưu tiên. / A priority change needs a reason.",
        )


def is_raise(current: str, new: str) -> bool:
    """P1 is the highest: a smaller number is a raise."""
    return new in PRIORITIES and current in PRIORITIES and new < current
