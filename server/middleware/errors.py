"""The one shape of every error this layer writes itself: `{"error", "detail", "request_id"}`
(`error` as in the app's validation errors, `detail` as in FastAPI's HTTPException bodies).

Pure-ASGI middleware answers before FastAPI is reached, so it cannot use JSONResponse's
exception handlers; this writes the same JSON body the route errors use, with the request id
a user can quote.
"""

from __future__ import annotations

import json

from starlette.types import Send

from server.middleware.logging_json import request_id_var


def error_body(message: str) -> dict[str, str]:
    body = {"error": message, "detail": message}
    if request_id := request_id_var.get():
        body["request_id"] = request_id
    return body


async def send_json_error(send: Send, status: int, message: str, headers: dict[str, str] | None = None) -> None:
    payload = json.dumps(error_body(message)).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    raw += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})
