"""The knowledge service: `python -m services.knowledge.main` (SPEC §6b).

Settings (beside the suite's): HOTRO_KB_ARTICLES_FILE (the shipped articles, default
catalog/kb_articles.yaml), HOTRO_KB_DEFLECTION_WINDOW_S (how long after opening a suggestion
a requester who has not submitted counts as deflected, 86400).
"""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from pathlib import Path

from libs.catalog import load_catalog
from libs.catalog.loader import catalog_dir
from libs.events.sinks import ProjectionSink
from libs.events.topics import INTAKE, ROUTING
from libs.platform.service import ServiceKit, run_service
from libs.platform.settings import positive_seconds
from services.knowledge.adapters import tickets_projection
from services.knowledge.adapters.knowledge_base import KnowledgeBase
from services.knowledge.adapters.seed import load_shipped_articles
from services.knowledge.adapters.store import ArticleStore, KnowledgeApplication, to_contract
from services.knowledge.api import articles, faq, suggestions
from services.knowledge.api.deps import install_refusals


async def main() -> None:
    kit = ServiceKit("knowledge")
    catalog = load_catalog()
    window = timedelta(seconds=positive_seconds("HOTRO_KB_DEFLECTION_WINDOW_S", 86400))
    seed_file = Path(os.environ.get("HOTRO_KB_ARTICLES_FILE", catalog_dir() / "kb_articles.yaml"))
    app = await asyncio.to_thread(kit.event_store, KnowledgeApplication)
    pool = await kit.open_pool()
    store = ArticleStore(app, pool, kit.schema)
    await store.ensure_tables()
    await store.repair()
    sink = ProjectionSink(
        name=tickets_projection.NAME,
        pool=pool,
        schema=kit.schema,
        project=tickets_projection.projector(kit.schema),
    )
    await sink.ensure_tables()
    async with pool.connection() as conn:
        await tickets_projection.ensure_tables(conn, kit.schema)
    kit.consumer(tickets_projection.NAME, [INTAKE, ROUTING], sink)
    kit.relay(app, to_contract)
    kb = KnowledgeBase(store, pool, kit.schema, catalog, window)
    await kb.ensure_tables()
    await load_shipped_articles(store, seed_file, catalog)

    http = kit.http(
        "Hotro knowledge", [articles.router, suggestions.tickets, suggestions.kb_router, faq.router]
    )
    install_refusals(http)
    http.state.kb = kb
    await kit.run(http)


if __name__ == "__main__":
    run_service(main)
