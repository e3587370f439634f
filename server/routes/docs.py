"""/docs that works without internet: FastAPI's Swagger UI page loads its JavaScript and CSS from
a CDN, so on a newsroom laptop offline, or a server with no way out, it stayed blank. The same
assets ship in the `swagger-ui-bundle` package; this serves them and points the page at them."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

ASSETS_PATH = "/docs-assets"


def install_docs(app: FastAPI) -> None:
    """Serves /docs from the packaged assets; build the app with `docs_url=None` (and no ReDoc,
    whose bundle is on a CDN too)."""
    app.mount(ASSETS_PATH, StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
        )
