"""The analysts' schema documentation: one source for the database comments and the README."""

from __future__ import annotations

from pathlib import Path

from services.reporting.adapters import projections
from services.reporting.adapters.schema_docs import Relation, comment_sql
from services.reporting.schema_doc import markdown

README = Path(__file__).resolve().parents[3] / "README.md"


def test_a_comment_keeps_both_languages_and_survives_quotes() -> None:
    relation = Relation("t", "TABLE", ("Bảng 'thử'", "A 'test' table"), {"c": ("Cột", "Column")})
    sql = comment_sql('"reporting"', relation)
    assert "COMMENT ON TABLE \"reporting\".\"t\" IS 'Bảng ''thử'' / A ''test'' table';" in sql
    assert 'COMMENT ON COLUMN "reporting"."t"."c" IS \'Cột / Column\';' in sql


def test_every_relation_and_column_has_both_languages() -> None:
    for relation in projections.RELATIONS:
        texts = [relation.doc, *relation.columns.values()]
        assert relation.columns, relation.name
        for vi, en in texts:
            assert vi.strip() and en.strip() and vi != en, (relation.name, vi, en)


def test_the_readme_shows_the_v1_views_as_the_code_documents_them() -> None:
    text = README.read_text()
    start, end = "<!-- schema:start -->\n", "<!-- schema:end -->"
    assert start in text and end in text
    block = text.split(start, 1)[1].split(end, 1)[0]
    assert block == markdown(), "run: python -m services.reporting.schema_doc"
