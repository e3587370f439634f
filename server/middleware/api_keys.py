"""Bearer API keys and a per-key token-bucket rate limit, as one pure-ASGI middleware.

Middleware rather than a FastAPI dependency so that every route is covered, including the
ones other modules add later (chat, OpenAI-compatible, docs), without each having to opt
in; the few public paths are listed here instead. Slack is exempt because Slack cannot send
our bearer key: its requests are verified by their signing secret in server/slack*.py.

The rate limit is a token bucket (a few lines, so no dependency: `limits` offers windows,
not buckets) because a bucket gives both a sustained rate and a burst allowance, and the
time until the next token is an exact Retry-After.

Each key is a principal (rag/access.py): the middleware puts it in the request's state, and
routes turn it into the collections the retrieval layer may search (`readable_filters`, server/deps.py).
Nothing is checked after retrieval: what a key may not read is never retrieved.
"""

from __future__ import annotations

import math
import threading
import time

from starlette.types import ASGIApp, Receive, Scope, Send

from rag.access import OPEN, KeyRing, Principal
from server.middleware.errors import send_json_error

PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/", "/favicon.ico", "/slack/events"})
PUBLIC_PREFIXES = ("/static/",)
REALM = 'Bearer realm="rag-news"'


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


class TokenBucket:
    """`rate` tokens per second refill a bucket of `burst`; each request takes one."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.updated = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> float:
        """0 when the request may go ahead, else the seconds until a token is available."""
        with self._lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens >= 1:
                self.tokens -= 1
                return 0.0
            return (1 - self.tokens) / self.rate


class ApiKeyMiddleware:
    """401 without a valid `Authorization: Bearer <key>`; 429 with Retry-After past a key's rate.

    Buckets are per configured key (never per presented string), so memory is bounded by the
    number of keys, whatever clients send.
    """

    def __init__(self, app: ASGIApp, keys: KeyRing, rate: float, burst: int) -> None:
        self.app = app
        self.keys = keys
        self.rate, self.burst = rate, burst
        self.buckets: dict[str, TokenBucket] = {}

    def _principal(self, scope: Scope) -> Principal | None:
        header = dict(scope.get("headers") or ()).get(b"authorization", b"")
        scheme, _, token = header.partition(b" ")
        if scheme.lower() != b"bearer" or not token.strip():
            return None
        return self.keys.principal(token.strip())

    def _bucket(self, principal: Principal) -> TokenBucket:
        bucket = self.buckets.get(principal.name)
        if bucket is None:
            bucket = self.buckets[principal.name] = TokenBucket(self.rate, self.burst)
        return bucket

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if not self.keys.enabled or is_public(scope["path"]):
            scope.setdefault("state", {})["principal"] = OPEN if not self.keys.enabled else None
            await self.app(scope, receive, send)
            return
        principal = self._principal(scope)
        scope.setdefault("state", {})["principal"] = principal
        if scope["type"] == "websocket":  # none today; a future one must not slip past the keys
            if principal is None:
                await send({"type": "websocket.close", "code": 1008})  # policy violation (HTTP 403 before accept)
                return
            await self.app(scope, receive, send)
            return
        if principal is None:
            presented = b"authorization" in dict(scope.get("headers") or ())
            await send_json_error(
                send,
                401,
                "invalid API key" if presented else "missing API key: send `Authorization: Bearer <key>`",
                {"www-authenticate": REALM + (', error="invalid_token"' if presented else "")},
            )
            return
        if self.rate > 0:
            wait = self._bucket(principal).take()
            if wait > 0:
                await send_json_error(
                    send,
                    429,
                    f"rate limit exceeded for this API key; retry in {wait:.1f} s",
                    {"retry-after": str(max(1, math.ceil(wait)))},
                )
                return
        await self.app(scope, receive, send)
