"""`python -m tools.estate serve | status | down NAME | up NAME | slow NAME MS`.

NAME is a system (`tabmis`, `ktkb-anqp-hni`), an application code (every system of it:
`TABMIS`, `KTKB-ANQP`), a WAN channel id or a district's unit code (both its channels).
Case does not matter.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import httpx

from libs.catalog.loader import catalog_dir
from libs.platform.logs import configure_logging
from tools.estate import control


def _print(targets: list[dict[str, object]]) -> None:
    for t in targets:
        delay = f"{t['delay_ms']} ms" if t["delay_ms"] else ""
        print(f"{t['name']:<28} {t['kind']:<8} {t['state']:<5} {delay:<9} {t['address']}")


def _call(method: str, path: str, **kwargs: object) -> int:
    try:
        with control.client() as http:
            response = http.request(method, path, **kwargs)  # type: ignore[arg-type]
    except (control.NotRunning, httpx.HTTPError) as error:
        print(error, file=sys.stderr)
        return 2
    body = response.json()
    if response.status_code >= 400:
        print(f"{body['error']}: {body['detail'][0]['msg']}", file=sys.stderr)
        return 1
    _print(body["targets"])
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.estate", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the simulated estate on loopback")
    serve.add_argument(
        "--checks-out", type=Path, help="checks file to write (default: <state>/estate/checks.yaml)"
    )
    serve.add_argument(
        "--checks-in", type=Path, help="the estate to simulate (default: the catalog's checks.yaml)"
    )
    serve.add_argument("--http-port", type=int, default=0)
    commands.add_parser("status", help="every target and its state")
    for action in ("down", "up"):
        commands.add_parser(action, help=f"take a target {action}").add_argument("name")
    slow = commands.add_parser("slow", help="delay a target's answers (0: normal again)")
    slow.add_argument("name")
    slow.add_argument("delay_ms", type=int)
    args = parser.parse_args(argv)

    if args.command == "serve":
        configure_logging("estate")
        folder = control.estate_dir()
        checks_in = args.checks_in or catalog_dir() / "checks.yaml"
        checks_out = args.checks_out or folder / "checks.yaml"
        from tools.estate.serve import serve as run

        asyncio.run(run(checks_in, checks_out.resolve(), folder, args.http_port))
        return 0
    if args.command == "status":
        return _call("GET", "/status")
    if args.command == "slow":
        return _call("POST", f"/targets/{args.name}/slow", json={"delay_ms": args.delay_ms})
    return _call("POST", f"/targets/{args.name}/{args.command}")


if __name__ == "__main__":
    sys.exit(main())
