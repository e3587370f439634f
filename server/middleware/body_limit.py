"""Request body limits: 413 with a message that says which limit, logged as one warning line.

Starlette's own limit answers a declared oversized body with a plain "Content Too Large"
and signals it by an exception our request-context layer logged as an unhandled error with
a traceback. Here a declared Content-Length over the limit is refused before a byte is read,
and a body without one (chunked) is counted as it arrives and refused with an HTTPException
that FastAPI answers like any other error. Uploads (POST /v1/documents) get their own, larger
limit.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.middleware.errors import send_json_error

log = logging.getLogger("rag.server")


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, default: tuple[int, str], per_path: dict[str, tuple[int, str]]) -> None:
        """`default` and each of `per_path`: (bytes, the setting that changes it)."""
        self.app = app
        self.default = default
        self.per_path = per_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, setting = self.per_path.get(scope["path"], self.default)
        message = f"the request body is over the {limit}-byte limit for {scope['path']} ({setting})"
        declared = dict(scope.get("headers") or ()).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            log.warning("413 for %s %s: %s bytes declared; %s", scope["method"], scope["path"], int(declared), message)
            await send_json_error(send, 413, message)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            event = await receive()
            if event["type"] == "http.request":
                received += len(event.get("body", b""))
                if received > limit:
                    log.warning("413 for %s %s: over %d bytes sent; %s", scope["method"], scope["path"], limit, message)
                    raise HTTPException(status_code=413, detail=message)
            return event

        await self.app(scope, counted, send)
