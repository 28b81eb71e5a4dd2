"""The wiring every service repeats: settings, logs, event store, relay, consumers, HTTP."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from psycopg_pool import AsyncConnectionPool

from libs.catalog import CatalogError
from libs.events.consumer import ConsumerRunner, Sink
from libs.events.relay import OutboxRelay, ensure_topics
from libs.events.topics import ALL_TOPICS, DEADLETTER, TOPIC_OF_SERVICE
from libs.platform.caller import (
    ASSERTION_HEADER,
    CallVerifier,
    ReplayGuard,
    UnauthenticatedCall,
    caller_from_assertion,
    internal_key,
)
from libs.platform.docs import serve_docs_locally
from libs.platform.errors import install_error_handlers, problem
from libs.platform.eventstore import (
    ServiceApplication,
    ToContract,
    envelope_mapper,
    open_application,
)
from libs.platform.http import ReadinessCheck, health_router, instrument
from libs.platform.logs import configure_logging
from libs.platform.runtime import Loop, serve
from libs.platform.settings import SettingError, Settings, load_settings
from libs.platform.watchdog import StartupWatchdog, startup_timeout_s

A = TypeVar("A", bound=ServiceApplication)


class ServiceKit:
    def __init__(self, service: str) -> None:
        configure_logging(service)
        self.settings: Settings = load_settings(service)
        #: Shared by the gateway (signs) and the services behind it (verify); none, no start.
        self.internal_key = internal_key()
        self.loops: list[Loop] = []
        self.checks: dict[str, ReadinessCheck] = {}
        self.relays: list[OutboxRelay] = []
        self.consumers: list[ConsumerRunner] = []
        self.pool: AsyncConnectionPool[Any] | None = None
        self.watchdog = StartupWatchdog(service, startup_timeout_s()).start()

    @property
    def schema(self) -> str:
        return self.settings.schema

    def topic(self, base: str) -> str:
        return self.settings.topic(base)

    def event_store(self, cls: type[A]) -> A:
        return open_application(cls, self.settings.database_url, self.schema)

    async def open_pool(self) -> AsyncConnectionPool[Any]:
        self.pool = AsyncConnectionPool(
            self.settings.database_url, min_size=1, max_size=10, open=False
        )
        await self.pool.open(wait=True, timeout=30)

        async def database() -> str | None:
            assert self.pool is not None
            async with self.pool.connection() as conn:
                await conn.execute("SELECT 1")
            return None

        self.checks["database"] = database
        return self.pool

    def relay(self, app: ServiceApplication, to_contract: ToContract) -> OutboxRelay:
        relay = OutboxRelay(
            service=self.settings.service,
            recorder=app.recorder,
            to_envelope=envelope_mapper(app, f"hotro/{self.settings.service}", to_contract),
            bootstrap=self.settings.kafka_bootstrap_servers,
            topic=self.topic(TOPIC_OF_SERVICE[self.settings.service]),
            database_url=self.settings.database_url,
            schema=self.schema,
        )
        self.relays.append(relay)
        self.loops.append(relay.run)
        return relay

    def consumer(self, name: str, topics: Sequence[str], sink: Sink) -> ConsumerRunner:
        runner = ConsumerRunner(
            name=f"{self.settings.topic_prefix}{name}",
            bootstrap=self.settings.kafka_bootstrap_servers,
            topics=[self.topic(t) for t in topics],
            sink=sink,
            dead_letter_topic=self.topic(DEADLETTER),
            rebalance_timeout_s=self.settings.rebalance_timeout_s,
        )
        self.consumers.append(runner)
        self.loops.append(runner.run)

        async def consuming() -> str | None:
            return None if runner.ready.is_set() else "consumer has not joined its group yet"

        self.checks[f"consumer:{name}"] = consuming
        return runner

    def http(
        self,
        title: str,
        routers: Sequence[APIRouter],
        api_prefix: str = "/api/v1",
        signed: bool = True,
        local_docs: bool = False,
    ) -> FastAPI:
        """The service's HTTP app; with `signed`, every API route needs the gateway's assertion;
        with `local_docs`, /docs and /redoc load their assets from the app, not a CDN."""
        openapi_url = f"{api_prefix}/openapi.json"
        app = FastAPI(
            title=title,
            version="0.1.0",
            openapi_url=openapi_url,
            default_response_class=JSONResponse,
            docs_url=None if local_docs else "/docs",
            redoc_url=None if local_docs else "/redoc",
        )
        if local_docs:
            serve_docs_locally(app, openapi_url, title)
        install_error_handlers(app)
        instrument(app, self.settings.service)
        app.include_router(health_router(self.settings.service, self.checks))
        dependencies = []
        if signed:
            app.state.call_verifier = CallVerifier(self.internal_key, ReplayGuard())
            app.add_exception_handler(UnauthenticatedCall, _unauthenticated)
            dependencies = [Depends(caller_from_assertion)]
        for router in routers:
            app.include_router(router, prefix=api_prefix, dependencies=dependencies)
        return app

    async def run(self, app: FastAPI) -> None:
        await ensure_topics(
            self.settings.kafka_bootstrap_servers, [self.topic(t) for t in ALL_TOPICS]
        )
        for relay in self.relays:
            await relay.start()
        # Together: each waits out the broker's first-join delay (3 s), one after the other
        # they made intake's five consumers a quarter of a minute of every start.
        await asyncio.gather(*(consumer.start() for consumer in self.consumers))
        self.watchdog.passed()
        try:
            await serve(self.settings, app, self.loops)
        finally:
            for consumer in self.consumers:
                await consumer.stop()
            for relay in self.relays:
                await relay.stop()
            if self.pool is not None:
                await self.pool.close()


async def _unauthenticated(_: Request, error: Exception) -> JSONResponse:
    reason = error.reason if isinstance(error, UnauthenticatedCall) else str(error)
    return problem(
        401,
        "unauthenticated",
        ("header", ASSERTION_HEADER),
        reason,
        headers={"WWW-Authenticate": "Hotro-Assertion"},
    )


def run_service(main: Any) -> None:
    """Run a service; bad configuration stops it with the reason and no traceback."""
    try:
        asyncio.run(main())
    except (CatalogError, SettingError) as error:
        print(f"hotro: cannot start: {error}", file=sys.stderr)
        raise SystemExit(2) from None
