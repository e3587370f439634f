"""The operational shell around every route: request ids, access log, metrics and the
last-resort 500; `install()` wires it, with auth, body limit and timeouts, into an app.

Pure ASGI (not BaseHTTPMiddleware) so streamed responses (chat, SSE) pass through untouched.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag.settings import Settings
from server import metrics as metrics_module
from server.logging_json import request_id_var
from server.body_limit import BodyLimitMiddleware
from server.keys import KeyRing
from server.metrics import Metrics
from server.middleware_errors import send_json_error
from server.openapi_errors import document_errors
from server.security import ApiKeyMiddleware
from server.timeouts import ModelCalls, ModelTimeout, model_timeout_handler

log = logging.getLogger("rag.server")
access_log = logging.getLogger("rag.access")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")  # anything else could forge log lines
_QUIET_ROUTES = {"/healthz", "/readyz", "/metrics"}  # probes and scrapes: debug level, not info


def route_template(scope: Scope) -> str:
    """`/v1/documents/{doc_id}`, not the raw path, so metric labels stay few whatever clients send."""
    route = scope.get("route")
    if route is not None and hasattr(route, "path"):
        return route.path
    # Not routed (yet): a 401/429 from the auth layer, a 404, a 405. Ask the routes which would match.
    partial = None
    for candidate in getattr(getattr(scope.get("app"), "router", None), "routes", ()):
        match, child = candidate.matches(scope)
        path = getattr(child.get("route", candidate), "path", None)
        if match == Match.NONE or path is None:
            continue
        path += "/*" if isinstance(candidate, Mount) else ""
        if match == Match.FULL:
            return path
        partial = partial or path  # right path, wrong method: a 405
    return partial or "<unmatched>"


def _header(scope: Scope, name: bytes) -> bytes | None:
    return next((v for k, v in scope.get("headers") or () if k == name), None)


class RequestContextMiddleware:
    """Outermost: gives the request an id (X-Request-ID honoured when sane, else generated,
    echoed either way), logs one access line, records metrics, and turns an exception no
    handler caught into a JSON 500 carrying the id, logged with its traceback."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = (_header(scope, b"x-request-id") or b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        status, started = 500, False
        begun = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started, status = True, message["status"]
                message = {**message, "headers": [*message.get("headers", ()), (b"x-request-id", request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except HTTPException:
            raise  # an HTTP error escaping a sub-app: FastAPI's outer layers answer it
        except Exception:
            log.exception("unhandled error in %s %s", scope["method"], scope["path"])
            if not started:
                await send_json_error(send_with_id, 500, f"internal error; quote request id {request_id} when reporting it")
        finally:
            seconds = time.perf_counter() - begun
            route = route_template(scope)
            self.metrics.observe_request(scope["method"], route, status, seconds)
            access_log.log(
                logging.DEBUG if route in _QUIET_ROUTES else logging.INFO,
                "%s %s %d",
                scope["method"],
                scope["path"],
                status,
                extra={"method": scope["method"], "route": route, "status": status, "duration_ms": round(1000 * seconds, 1)},
            )
            request_id_var.reset(token)


def install(app: FastAPI, settings: Settings) -> None:
    """Metrics, model-call timeouts, then API keys inside the body limit inside request context
    (the last middleware added runs first)."""
    app.state.metrics = Metrics(app)
    app.state.model_calls = ModelCalls(settings.model_timeout_seconds, settings.model_concurrency)
    app.include_router(metrics_module.router)
    app.add_exception_handler(ModelTimeout, model_timeout_handler)
    document_errors(app, settings)
    app.state.keys = KeyRing([k.get_secret_value() for k in settings.api_keys], settings.keys_file)
    app.add_middleware(
        ApiKeyMiddleware,
        keys=app.state.keys,
        rate=settings.rate_limit_per_second,
        burst=settings.rate_limit_burst,
    )
    app.add_middleware(
        BodyLimitMiddleware,
        default=(settings.max_body_bytes, "RAG_MAX_BODY_BYTES"),
        per_path={"/v1/documents": (settings.max_upload_bytes, "RAG_MAX_UPLOAD_BYTES")},
    )
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)
