"""A stand-in for *their* systems (TABMIS, TTSP …) that a test takes down and brings back:
a real HTTP server on 127.0.0.1, one page per system, and a checks file pointing at it."""

from __future__ import annotations

import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


@dataclass
class Site:
    port: int
    down: set[str] = field(default_factory=set)

    def url(self, system: str) -> str:
        return f"http://127.0.0.1:{self.port}/{system}"

    def take_down(self, system: str) -> None:
        self.down.add(system)

    def bring_up(self, system: str) -> None:
        self.down.discard(system)


@contextmanager
def switchable_site() -> Iterator[Site]:
    site = Site(0)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            system = self.path.strip("/").split("/")[0]
            if system in site.down:
                status, body = 503, "ORA-12541: TNS:no listener"
            else:
                status, body = 200, f"<h1>{system.upper()} sẵn sàng</h1>"
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


def status_checks_file(folder: Path, site: Site) -> Path:
    """Two checks of TABMIS (both fail when it is down) and one of TTSP, every second."""
    path = folder / "checks.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            defaults: {{interval_s: 1, timeout_s: 2, confirm_failures: 2, confirm_recoveries: 2}}
            checks:
              - id: tabmis-web
                application: TABMIS
                kind: http
                target: {site.url("tabmis")}/
                name: "TABMIS — trang chủ"
                expect: {{status: [200], body_contains: "TABMIS"}}
              - id: tabmis-portal
                application: TABMIS
                kind: http
                target: {site.url("tabmis")}/portal
                name: "TABMIS — cổng đăng nhập"
                expect: {{status: [200], body_contains: "TABMIS"}}
              - id: ttsp-web
                application: TTSP
                kind: http
                target: {site.url("ttsp")}/
                name: "TTSP — trang chủ"
                expect: {{status: [200], body_contains: "TTSP"}}
            """
        ),
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module", name="site")
def site_fixture() -> Iterator[Site]:
    """The module's switchable estate (import this fixture with `suite_env`)."""
    with switchable_site() as running:
        yield running


@pytest.fixture(scope="module", name="suite_env")
def status_suite_env(site: Site, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The five services checking `site` every second (the shared suite turns the checker
    off), with the status page's history rolled up every second."""
    folder = tmp_path_factory.mktemp("status-estate")
    return {
        "HOTRO_CHECKS_FILE": str(status_checks_file(folder, site)),
        "HOTRO_CHECKER_ENABLED": "1",
        "HOTRO_STATUS_ROLLUP_S": "1",
    }
