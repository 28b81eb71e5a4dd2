"""The articles the project ships (catalog/kb_articles.yaml), loaded at start-up.

Each entry has a stable `id` (a slug); its article's id is derived from it, so a restart, a
second replica or a re-run finds the article there and changes nothing. Articles are
published by `system` (they were reviewed as data, in the repository); an article staff have
since edited or retired is left as they made it.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from libs.catalog import CatalogError
from libs.catalog.model import Catalog
from libs.platform.eventstore import derived_id
from services.knowledge.adapters.store import ArticleStore
from services.knowledge.domain.article import SYSTEM, Article
from services.knowledge.domain.lifecycle import AUDIENCES


class SeedArticle(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    id: str = Field(min_length=3, pattern=r"^[a-z0-9-]+$")
    title: str = Field(min_length=5)
    symptom: str = Field(min_length=5)
    cause: str = Field(min_length=3)
    fix: str = Field(min_length=5)
    applications: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    audience: str = "public"


def load_seed(path: Path, catalog: Catalog) -> list[SeedArticle]:
    """Every entry, validated like the rest of the catalog (file, entry, field, reason)."""
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    found: list[SeedArticle] = []
    for index, entry in enumerate(document.get("articles") or []):
        try:
            article = SeedArticle.model_validate(entry)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise CatalogError(path, None, f"articles[{index}].{where}", first["msg"]) from None
        unknown = [c for c in article.applications if c not in catalog.applications]
        if unknown or article.audience not in AUDIENCES:
            reason = (
                f"unknown application {unknown[0]}" if unknown else "audience is public or internal"
            )
            raise CatalogError(path, None, f"articles[{index}]", reason)
        found.append(article)
    return found


async def load_shipped_articles(store: ArticleStore, path: Path, catalog: Catalog) -> int:
    """Create and publish the shipped articles not there yet; how many were created."""
    created = 0
    for entry in load_seed(path, catalog):
        article_id = derived_id("kb-seed", entry.id)
        if await store.exists(article_id):
            continue
        now = datetime.now(UTC)
        content = entry.model_dump(exclude={"id"})
        article = Article(id=article_id, content=content, author=SYSTEM, at=now,
                          reason="catalog/kb_articles.yaml")  # fmt: skip
        article.publish_from_catalog(now)
        await store.create(article)
        created += 1
        await asyncio.sleep(0)
    return created
