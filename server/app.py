"""The FastAPI application: routers, error shapes, and a lifespan that loads models once."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from rag.service import Services
from rag.settings import Settings
from server.middleware import install as install_operations
from server.routes import ask, chat, documents, health, keys, openai_compat, page, slack
from server.routes.docs import install_docs
from server.schemas import describe_validation_error
from server.slack.bot import start_slack

log = logging.getLogger(__name__)


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # registered for that class only
    return JSONResponse(
        status_code=422,
        content={
            "error": describe_validation_error(exc),
            "detail": [{"loc": e.get("loc"), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()],
        },
    )


def create_app(settings: Settings | None = None, preloaded: Services | None = None, warm_all_shapes_first: bool = False) -> FastAPI:
    """`preloaded`: services already built and warmed (by `rag serve`, so a broken index is a
    one-line error before the server starts, not a traceback from inside the lifespan).
    `warm_all_shapes_first`: build every reader shape before saying ready (a Ray Serve replica,
    which gets traffic only once ready and has one CPU that a background warm-up would take
    from its first requests)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        services = preloaded or Services(settings)
        app.state.services = services
        services.warm_up(shapes_in_background=not warm_all_shapes_first)
        app.state.slack = start_slack(settings, services, app.state.model_calls)  # None unless RAG_SLACK_MODE is set
        app.state.ready = True
        log.info("ready: %s", services.load_seconds)
        yield
        app.state.ready = False
        app.state.model_calls.shutdown()
        if app.state.slack is not None:
            app.state.slack.close()

    app = FastAPI(
        title="rag-news",
        version="0.1.0",
        summary="Ask questions of a news corpus; answers are spans copied from the articles, with citations.",
        lifespan=lifespan,
        docs_url=None,  # served from packaged assets instead of a CDN (server/routes/docs.py)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.ready = False
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.include_router(ask.router)
    app.include_router(keys.router)
    app.include_router(health.router)
    app.include_router(documents.router)
    install_operations(app, settings)  # request ids, logs, metrics, auth, limits, timeouts
    app.include_router(slack.router)
    app.include_router(chat.router)
    app.include_router(openai_compat.router)
    app.include_router(page.router)
    app.mount("/static", page.static_files, name="static")
    install_docs(app)
    return app
