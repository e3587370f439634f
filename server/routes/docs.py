"""/docs that works without internet: FastAPI's Swagger UI page loads its JavaScript and CSS from
a CDN, so on a newsroom laptop offline, or a server with no way out, it stayed blank. The same
assets ship in the `fastapi-offline` package (Swagger UI 5, which reads OpenAPI 3.1 as FastAPI
writes it; the `swagger-ui-bundle` package's 4.15 could not); this serves them and points the
page at them."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_PATH = "/docs-assets"
ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"


def install_docs(app: FastAPI) -> None:
    """Serves /docs from the packaged assets; build the app with `docs_url=None` (and no ReDoc,
    whose bundle is on a CDN too)."""
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS_DIR), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon.png",
        )
