"""`python -m services.reporting.schema_doc`: the README's tables of the v1 views, from the
same data as the database's `COMMENT ON` (adapters/schema_docs.py), so neither drifts."""

from __future__ import annotations

from services.reporting.adapters.schema_docs import markdown_table
from services.reporting.adapters.views_v1 import VIEWS


def markdown() -> str:
    parts = []
    for view in VIEWS:
        vi, en = view.doc
        parts.append(f"**`reporting.{view.name}`** — {en} ({vi}).\n\n{markdown_table(view)}")
    return "\n\n".join(parts) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
