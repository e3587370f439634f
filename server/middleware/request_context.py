"""The outermost layer around every route: request ids, access log, metrics and the
last-resort 500 (server/middleware/__init__.py installs it with the others).

Pure ASGI (not BaseHTTPMiddleware) so streamed responses (chat, SSE) pass through untouched.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.exceptions import HTTPException
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.middleware.errors import send_json_error
from server.middleware.logging_json import request_id_var
from server.middleware.metrics import Metrics

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
