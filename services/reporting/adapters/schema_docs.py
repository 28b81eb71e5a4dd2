"""What every table, view and column of the analysts' schema means, in Vietnamese and English.

Each projection declares its documentation as data (a `Relation`), and the same data becomes
`COMMENT ON` statements in the database and the tables of the README (`python -m
services.reporting.schema_doc`), so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: (Vietnamese, English): the two languages of every comment.
Text = tuple[str, str]

#: Columns many relations share, said once.
TICKET_ID: Text = ("Mã định danh yêu cầu", "Ticket id")
EVENT_ID: Text = ("Mã sự kiện gốc", "Id of the event this row comes from")


@dataclass(frozen=True)
class Relation:
    """A table or view: its name (without schema), kind, meaning and its columns' meanings."""

    name: str
    kind: str  # "TABLE" or "VIEW"
    doc: Text
    columns: dict[str, Text] = field(default_factory=dict)


def _literal(text: Text) -> str:
    vi, en = text
    return "'" + f"{vi} / {en}".replace("'", "''") + "'"


def comment_sql(schema: str, relation: Relation) -> str:
    """`COMMENT ON` the relation and each of its columns; `schema` is already quoted."""
    name = f'{schema}."{relation.name}"'
    lines = [f"COMMENT ON {relation.kind} {name} IS {_literal(relation.doc)};"]
    lines += [
        f'COMMENT ON COLUMN {name}."{column}" IS {_literal(text)};'
        for column, text in relation.columns.items()
    ]
    return "\n".join(lines)


def markdown_table(relation: Relation) -> str:
    """One README table: column, meaning in English, meaning in Vietnamese."""
    rows = ["| column | meaning | ý nghĩa |", "|---|---|---|"]
    rows += [f"| `{c}` | {en} | {vi} |" for c, (vi, en) in relation.columns.items()]
    return "\n".join(rows)
