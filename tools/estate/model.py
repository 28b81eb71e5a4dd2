"""What the simulated estate serves and what state each part is in.

A *system* is one web application of the treasury (TABMIS, a province's KTKB-ANQP, …): its
pages share one HTTP port under a path prefix of their own. A *channel* is one WAN line of a
district treasury: a TCP port of its own, so "down" is a refused connection, as a dead line is
to the checker. MAIL is a system whose SMTP and IMAP greetings go down with its pages.

State (down, delay) lives only in the serving process; the CLI changes it through the control
port (control.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["system", "channel"]


@dataclass(frozen=True)
class LoginForm:
    """How one product's sign-in form looks: field and cookie names differ between vendors."""

    style: str
    user_field: str
    password_field: str
    token_field: str
    antiforgery_cookie: str
    session_cookie: str


#: ASP.NET MVC: the anti-forgery pair (a cookie and a hidden field derived from it).
ASPNET = LoginForm(
    "aspnet",
    "UserName",
    "Password",
    "__RequestVerificationToken",
    "__RequestVerificationToken",
    ".ASPXAUTH",
)
#: Java web applications (Spring Security): `_csrf` bound to the pre-login JSESSIONID.
SPRING = LoginForm("spring", "username", "password", "_csrf", "JSESSIONID", "SESSION")
#: Oracle E-Business Suite's local login page (TABMIS).
ORACLE_EBS = LoginForm(
    "oracle-ebs", "usernameField", "passwordField", "_AM_TX_ID_FIELD", "JSESSIONID", "KBNNEBS"
)


@dataclass(frozen=True)
class System:
    """One simulated web application, served under `/<key>/`."""

    key: str  # lower-case slug, the URL prefix
    application: str  # catalog code
    title: str  # Vietnamese, shown in <title> and <h1>
    login: LoginForm | None = None
    username: str = ""
    display_name: str = ""


@dataclass(frozen=True)
class Channel:
    """One WAN channel of a district treasury."""

    id: str
    district: str


@dataclass
class Target:
    """Something the operator can take down, slow down and bring back."""

    name: str
    kind: Kind
    aliases: frozenset[str]  # other names that select it: its application, its district, …
    down: bool = False
    delay_ms: int = 0

    def public(self) -> dict[str, object]:
        return {
            "name": self.name,
            "kind": self.kind,
            "state": "down" if self.down else ("slow" if self.delay_ms else "up"),
            "delay_ms": self.delay_ms,
        }


Listener = Callable[[Target], Awaitable[None]]


class UnknownTarget(LookupError):
    pass


@dataclass
class EstateState:
    """The live state of every target, and who must hear of a change (the TCP listeners)."""

    targets: dict[str, Target] = field(default_factory=dict)
    listeners: list[Listener] = field(default_factory=list)

    @classmethod
    def of(cls, systems: Iterable[System], channels: Iterable[Channel]) -> EstateState:
        state = cls()
        for system in systems:
            state.add(Target(system.key, "system", frozenset({system.application.lower()})))
        for channel in channels:
            state.add(Target(channel.id.lower(), "channel", frozenset({channel.district.lower()})))
        return state

    def add(self, target: Target) -> None:
        self.targets[target.name] = target

    def get(self, name: str) -> Target:
        return self.targets[name.lower()]

    def select(self, name: str) -> list[Target]:
        """The target of that name and every target one of whose aliases it is: `TABMIS` is
        the TABMIS system and TABMIS's other hosts (`tabmis-db`), a district both channels."""
        wanted = name.lower()
        found = [t for t in self.targets.values() if wanted == t.name or wanted in t.aliases]
        if not found:
            raise UnknownTarget(name)
        return found

    async def change(
        self, name: str, *, down: bool | None = None, delay_ms: int | None = None
    ) -> list[Target]:
        """Apply a change to every selected target and tell the listeners; returns them."""
        selected = self.select(name)
        for target in selected:
            if down is not None:
                target.down = down
            if delay_ms is not None:
                target.delay_ms = delay_ms
            for listener in self.listeners:
                await listener(target)
        return selected

    def delay_s(self, name: str) -> float:
        return self.targets[name].delay_ms / 1000
