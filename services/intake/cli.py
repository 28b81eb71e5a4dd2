"""Intake's command line (needs DATABASE_URL, as the service does).

python -m services.intake.cli import-requesters FILE      # CSV or JSON lines
python -m services.intake.cli create-token NAME ROLE [--province P] [--group G] [--email E]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from psycopg_pool import AsyncConnectionPool

from libs.catalog import load_catalog
from services.intake.adapters.directory import RequesterDirectory
from services.intake.adapters.tokens import ROLES, Principal, TokenStore
from services.intake.domain.directory import parse_directory
from services.intake.service_layer.requesters import request_day

SCHEMA = "intake"


async def _with_pool(work: Any) -> Any:
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit(
            "DATABASE_URL is not set (e.g. postgresql://postgres@127.0.0.1:54329/hotro)"
        )
    async with AsyncConnectionPool(url, min_size=1, max_size=2, open=False) as pool:
        async with pool.connection() as conn:
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"')
        return await work(pool)


async def import_requesters(path: Path) -> int:
    entries, rejected = parse_directory(
        path.read_text(encoding="utf-8-sig"), load_catalog(), request_day(None)
    )

    async def work(pool: AsyncConnectionPool[Any]) -> Any:
        directory = RequesterDirectory(pool, SCHEMA)
        await directory.ensure_table()
        return await directory.upsert(entries)

    counts = await _with_pool(work)
    print(f"created {counts.created}, updated {counts.updated}, unchanged {counts.unchanged},"
          f" rejected {len(rejected)}")  # fmt: skip
    for r in rejected:
        print(f"{path}:{r.line}: {r.reason}", file=sys.stderr)
    return 1 if rejected and not entries else 0


async def create_token(args: argparse.Namespace) -> int:
    principal = Principal(args.name, args.role, args.province, args.group, args.email)

    async def work(pool: AsyncConnectionPool[Any]) -> str:
        tokens = TokenStore(pool, SCHEMA)
        await tokens.ensure_table()
        return await tokens.issue(principal)

    print(await _with_pool(work))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.intake.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    imports = commands.add_parser("import-requesters", help="import the requester directory")
    imports.add_argument("file", type=Path)
    token = commands.add_parser("create-token", help="issue a bearer token (printed once)")
    token.add_argument("name")
    token.add_argument("role", choices=ROLES)
    token.add_argument("--province")
    token.add_argument("--group")
    token.add_argument("--email")
    args = parser.parse_args(argv)
    if args.command == "import-requesters":
        return asyncio.run(import_requesters(args.file))
    return asyncio.run(create_token(args))


if __name__ == "__main__":
    sys.exit(main())
