"""The desk's people and texts (issue 13): the agent directory, `GET /me`, canned replies."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from services.intake.api.deps import CurrentUser, Services, get_services
from services.intake.api.errors import FieldError
from services.intake.api.schemas import _Input
from services.intake.domain.access import ROLES, check_role
from services.intake.domain.agents import Agent, AgentRefused, check_agent, office_of
from services.intake.service_layer.desk import Desk, get_desk

router = APIRouter(tags=["agents"])
Svc = Annotated[Services, Depends(get_services)]
DeskDep = Annotated[Desk, Depends(get_desk)]
STAFF = frozenset(ROLES) - {"requester"}


class AgentCreate(_Input):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=254)
    office: str = Field(min_length=1, max_length=40, description="PTH-…, CNTT-…, VD-…, a group")
    groups: list[str] = Field(default_factory=list, max_length=6)
    role: str = Field(default="group_agent", max_length=20)


class AgentPublic(BaseModel):
    id: str
    name: str
    email: str
    office: str
    groups: list[str]
    role: str
    active: bool
    province: str | None = None


class AgentsPublic(BaseModel):
    data: list[AgentPublic]
    count: int


class Me(BaseModel):
    name: str
    role: str
    email: str | None = None
    province: str | None = None
    group: str | None = None
    office: str | None = None
    agent: AgentPublic | None = None


class CannedReplyPublic(BaseModel):
    id: str
    title: str
    groups: list[str]
    body: str
    fields: dict[str, str]


class CannedRepliesPublic(BaseModel):
    data: list[CannedReplyPublic]
    count: int


def _public(agent: Agent) -> AgentPublic:
    return AgentPublic(
        id=agent.id, name=agent.name, email=agent.email, office=agent.office,
        groups=list(agent.groups), role=agent.role, active=agent.active, province=agent.province,
    )  # fmt: skip


@router.post("/agents", response_model=AgentPublic, status_code=201)
async def put_agent(
    body: AgentCreate, svc: Svc, desk: DeskDep, user: CurrentUser, response: Response
) -> Any:
    """(admin) Add a person to the agent directory, or update (and reactivate) them by e-mail."""
    check_role(user, {"admin"}, "quản lý danh bạ cán bộ / manage the agent directory")
    try:
        agent = check_agent(body.name, body.email, body.office, body.groups, body.role, svc.catalog)
    except AgentRefused as refused:
        raise FieldError(("body", refused.field), str(refused)) from refused
    if not await desk.agents.put(agent):
        response.status_code = 200
    return _public(agent)


@router.get("/agents", response_model=AgentsPublic)
async def list_agents(
    desk: DeskDep,
    user: CurrentUser,
    office: Annotated[str | None, Query(max_length=40)] = None,
    group: Annotated[str | None, Query(max_length=40)] = None,
    active: bool | None = True,
) -> Any:
    """The desk's people (whom `assign` may name), by office or group; active ones by default."""
    check_role(user, STAFF, "xem danh bạ cán bộ / see the agent directory")
    people = await desk.agents.list(
        office.strip().upper() if office else None, group.strip().upper() if group else None,
        active,
    )  # fmt: skip
    return AgentsPublic(data=[_public(p) for p in people], count=len(people))


@router.post("/agents/{agent_id}/deactivate", response_model=AgentPublic)
async def deactivate_agent(agent_id: str, desk: DeskDep, user: CurrentUser) -> Any:
    """(admin) The person left: no longer assignable (their past work keeps their name)."""
    check_role(user, {"admin"}, "quản lý danh bạ cán bộ / manage the agent directory")
    agent = await desk.agents.deactivate(agent_id, user.name)
    if agent is None:
        raise FieldError(("path", "agent_id"), f"no agent {agent_id!r}", status=404,
                         kind="not_found")  # fmt: skip
    return _public(agent)


@router.get("/me", response_model=Me)
async def who_am_i(svc: Svc, desk: DeskDep, user: CurrentUser) -> Any:
    """Who the caller is: name, role, province, group, office, and their directory entry."""
    agent = await desk.agents.by_email(user.email)
    office = (
        agent.office
        if agent
        else office_of(user.role, user.province, user.group, svc.catalog, date.today())
    )
    return Me(
        name=agent.name if agent else user.name, role=user.role, email=user.email,
        province=user.province or (agent.province if agent else None), group=user.group,
        office=office, agent=_public(agent) if agent else None,
    )  # fmt: skip


@router.get("/canned-replies", response_model=CannedRepliesPublic)
async def canned_replies(
    desk: DeskDep, user: CurrentUser, group: Annotated[str | None, Query(max_length=40)] = None
) -> Any:
    """Vietnamese answers to reuse in a public comment (`{"canned_reply": id}`), per group."""
    check_role(user, STAFF, "xem câu trả lời mẫu / see canned replies")
    wanted = group.strip().upper() if group else None
    replies = [
        CannedReplyPublic(id=r.id, title=r.title, groups=r.groups, body=r.body, fields=r.fields)
        for r in desk.canned.replies
        if r.for_group(wanted)
    ]
    return CannedRepliesPublic(data=replies, count=len(replies))
