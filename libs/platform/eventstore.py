"""Each service's event store: the `eventsourcing` library on PostgreSQL, one schema a service."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from typing import Any, TypeVar, cast

import msgspec
import psycopg
from eventsourcing.application import Application
from eventsourcing.persistence import ProcessRecorder

from libs.events.envelope import Envelope
from libs.events.schemas import data_of
from libs.platform.settings import eventsourcing_env

#: Namespace of the deterministic ids Hotro derives (an idempotency key → a ticket id).
HOTRO_NAMESPACE = uuid.UUID("5b0f9a53-7c1e-4f5e-9a43-6f1d2c8e4a10")


class ServiceApplication(Application):
    """An application whose recorder can also record tracking (positions of consumed events)."""

    def construct_recorder(self) -> ProcessRecorder:  # type: ignore[override]
        return self.factory.process_recorder()


A = TypeVar("A", bound=ServiceApplication)


def open_application(cls: type[A], database_url: str, schema: str) -> A:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    env = eventsourcing_env(database_url, schema)
    env.update({k: v for k, v in os.environ.items() if k.startswith("EVENTSOURCING_")})
    return cls(env=env)


def derived_id(*parts: str) -> uuid.UUID:
    return uuid.uuid5(HOTRO_NAMESPACE, "|".join(parts))


#: Maps a stored domain event to (ticket id, contract event) or None when it is internal.
ToContract = Callable[[Any], tuple[str, msgspec.Struct] | None]


def envelope_mapper(
    app: Application, source: str, to_contract: ToContract
) -> Callable[[Any], Envelope | None]:
    """Build the relay's notification → envelope function for one service."""

    def to_envelope(notification: Any) -> Envelope | None:
        domain_event = app.mapper.to_domain_event(notification)
        mapped = to_contract(domain_event)
        if mapped is None:
            return None
        subject, contract = mapped
        return Envelope(
            id=f"{domain_event.originator_id}:{domain_event.originator_version}",
            source=source,
            type=type(contract).TYPE,  # type: ignore[attr-defined]
            subject=subject,
            time=cast(Any, domain_event).timestamp,
            data=data_of(contract),
            position=notification.id,
        )

    return to_envelope
