"""`python -m tools.estate serve`: every listener of the simulated estate in one event loop.

Order matters to whoever waits for us (`make run`, the tests): every port is bound and
serving, the credentials and the checks file are written, and only then `control.json`
appears. Ports are remembered in `ports.json` and taken again at the next start when free,
so a restarted estate answers where a running monitoring service already looks.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import socket
from collections import defaultdict
from pathlib import Path

import uvicorn
import yaml
from starlette.applications import Starlette

from libs.catalog import load_catalog
from libs.platform.runtime import _Server
from tools.estate import control
from tools.estate.checks_out import Addresses, write_checks
from tools.estate.credentials import ensure_credentials, passwords
from tools.estate.http_systems import SystemPages
from tools.estate.inventory import Inventory, build, read_shipped
from tools.estate.mail_greetings import ImapGreeter, smtp_starter
from tools.estate.model import EstateState, Target
from tools.estate.tcp import HOST, SwitchableServer, allow_open_files, bind
from tools.estate.wan import LineEndpoint

log = logging.getLogger(__name__)


def _sockets(inventory: Inventory, state: EstateState, pw: dict[str, str], ports: dict[str, int]):
    """The TCP listeners by name (`smtp:mail`, `wan:<channel>`), not yet open."""
    servers: dict[str, SwitchableServer] = {}
    for kind, key in inventory.socket_listeners():
        name = f"{kind}:{key}"
        if kind == "smtp":
            start = smtp_starter(state, key)
        elif kind == "imap":
            start = ImapGreeter(state, key, inventory.systems[key].username, pw.get(key, "")).start
        else:
            start = LineEndpoint(state, key, key).start
        servers[name] = SwitchableServer(key, start, ports.get(name, 0))
    for channel in inventory.channels:
        name = f"wan:{channel.id}"
        endpoint = LineEndpoint(state, channel.id.lower(), channel.id)
        servers[name] = SwitchableServer(channel.id.lower(), endpoint.start, ports.get(name, 0))
    return servers


async def _uvicorn(app: Starlette, sock: socket.socket) -> tuple[_Server, asyncio.Task[None]]:
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off")
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    return server, task


async def serve(checks_in: Path, checks_out: Path, folder: Path, http_port: int = 0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "control.json").unlink(missing_ok=True)
    ports_file = folder / "ports.json"
    ports: dict[str, int] = json.loads(ports_file.read_text()) if ports_file.exists() else {}
    try:
        inventory = build(load_catalog(), read_shipped(checks_in))
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as error:
        # The monitoring service reports a broken checks file with its line; say which file.
        raise SystemExit(f"cannot simulate {checks_in}: {error!r}") from None
    state = EstateState.of(inventory.systems.values(), inventory.channels)
    secret_files = ensure_credentials(folder / "secrets", inventory.systems.values())
    pw = passwords(secret_files, inventory.systems)

    servers = _sockets(inventory, state, pw, ports)
    allow_open_files(len(servers) + 512)
    by_target: dict[str, list[SwitchableServer]] = defaultdict(list)
    for server in servers.values():
        await server.open(same_port=False)
        by_target[server.target].append(server)

    async def follow(target: Target) -> None:
        for server in by_target.get(target.name, []):
            await server.follow(target)

    state.listeners.append(follow)
    http_sock = bind(http_port or ports.get("http", 0))
    control_sock = bind(ports.get("control", 0))
    http = f"http://{HOST}:{http_sock.getsockname()[1]}"
    addresses = Addresses(
        http=http,
        sockets={tuple(n.split(":", 1)): s.address for n, s in servers.items() if n[:4] != "wan:"},
        channels={n[4:]: s.address for n, s in servers.items() if n[:4] == "wan:"},
        secrets=secret_files,
    )
    shown = {key: f"{http}/{key}/" for key in inventory.systems}
    for server in servers.values():
        shown[server.target] = " ".join(filter(None, (shown.get(server.target), server.address)))
    written = write_checks(checks_out, inventory, addresses)

    pages, pages_task = await _uvicorn(
        SystemPages(list(inventory.systems.values()), state, pw).app(), http_sock
    )
    ctl, ctl_task = await _uvicorn(control.control_app(state, shown), control_sock)
    ports = {name: s.port for name, s in servers.items()}
    ports.update(http=http_sock.getsockname()[1], control=control_sock.getsockname()[1])
    ports_file.write_text(json.dumps(ports, indent=1))
    control.write_control_file(folder, ports["control"])
    log.info(
        "simulated estate ready",
        extra={"http": http, "control": ports["control"], "checks": [str(p) for p in written]},
    )

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    (folder / "control.json").unlink(missing_ok=True)
    for uv in (pages, ctl):
        uv.should_exit = True
    await asyncio.gather(pages_task, ctl_task)
    for server in servers.values():
        server.close()
