"""`/docs` (Swagger UI) and `/redoc` served from the project, not a CDN: the treasury's
closed network has no Internet, so the CDN pages FastAPI builds by default stay blank there.

The assets are the files of the `fastapi-offline` package (Swagger UI's and ReDoc's
distributions, MIT), pinned in pyproject.toml; the pages are FastAPI's own
(`get_swagger_ui_html`, `get_redoc_html`) pointed at them, as FastAPI's docs recipe
"Self-hosting JavaScript and CSS for docs" does. ReDoc's Google fonts are turned off, and its
Redocly logo (an image from a CDN) is rewritten to a local one.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS_PATH = "/docs-assets"
#: ReDoc's sidebar shows Redocly's logo from this address (no option turns it off): the
#: script is served with the logo pointed at our own favicon instead.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@cache
def _redoc_script() -> bytes:
    script = (ASSETS / "redoc.standalone.js").read_text(encoding="utf-8")
    return script.replace(REDOC_LOGO, f"{ASSETS_PATH}/favicon.png").encode()


def serve_docs_locally(app: FastAPI, openapi_url: str, title: str) -> None:
    """Mount the assets and the two pages; `app` was built with docs_url=redoc_url=None."""

    @app.get(f"{ASSETS_PATH}/redoc.standalone.js", include_in_schema=False)
    async def redoc_script() -> Response:
        return Response(_redoc_script(), media_type="text/javascript")

    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS), name="docs-assets")
    oauth2_redirect = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} — Swagger UI",
            oauth2_redirect_url=oauth2_redirect,
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon.png",
        )

    @app.get(oauth2_redirect, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{title} — ReDoc",
            redoc_js_url=f"{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_PATH}/favicon.png",
            with_google_fonts=False,
        )
