"""A local stand-in for Slack: the Web API our bot calls, and the signed requests Slack sends it.

`SlackStandIn` is a real HTTP server on 127.0.0.1 that records every Web API call
(`/api/auth.test`, `/api/chat.postMessage`, ...) and every POST to a slash command's
`response_url`, and answers the way Slack does (`{"ok": true, ...}`). `SlackSender` plays
Slack's side of the Events API: it signs payloads with the signing secret exactly as Slack
does (v0 HMAC-SHA256 over "v0:{timestamp}:{body}") and posts them to our server.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from slack_sdk.signature import SignatureVerifier
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

TEAM_ID = "T0RAGTEST"
BOT_USER_ID = "U0RAGBOT"
BOT_ID = "B0RAGBOT"
QUESTION = "Who is the President of the European Commission?"  # the seed corpus answers it


@dataclass(frozen=True)
class Call:
    """One request the bot made to "Slack": a Web API method or a response_url."""

    path: str
    payload: dict[str, Any]

    @property
    def method(self) -> str:
        return self.path.removeprefix("/api/")


def _payload(content_type: str, raw: bytes) -> dict[str, Any]:
    if not raw:
        return {}
    if content_type.startswith("application/json"):
        return json.loads(raw)
    return {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()}


class SlackStandIn:
    """Records calls; `wait_for` polls them with a deadline, because the bot posts asynchronously."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.socket_url: str | None = None  # what apps.connections.open hands out (Socket Mode)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_base_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str) -> str:
        return f"{self.url}/respond/{name}"

    def __enter__(self) -> SlackStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def matching(self, predicate: Callable[[Call], bool]) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if predicate(c)]

    def posts(self, **fields: Any) -> list[Call]:
        """chat.postMessage calls whose payload has all these field values."""
        return self.matching(lambda c: c.method == "chat.postMessage" and all(c.payload.get(k) == v for k, v in fields.items()))

    def wait_for(self, predicate: Callable[[Call], bool], timeout: float = 90.0, count: int = 1) -> list[Call]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.matching(predicate)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"no matching call within {timeout:.0f}s; calls so far: {self.calls}")
            time.sleep(0.1)

    def reply_in(self, channel: str, thread_ts: str) -> Call:
        """The bot's first post in that thread, waited for (the bot answers after acknowledging)."""
        return self.wait_for(
            lambda c: c.method == "chat.postMessage" and c.payload.get("channel") == channel and c.payload.get("thread_ts") == thread_ts
        )[0]

    def api_result(self, method: str, payload: dict[str, Any]) -> dict[str, Any]:
        """What Slack would answer, trimmed to the fields the SDK and bolt read."""
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://ragtest.slack.com/",
                "team": "rag test",
                "user": "ragbot",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            ts = f"{time.time():.6f}"
            return {
                "ok": True,
                "channel": payload.get("channel"),
                "ts": ts,
                "message": {"type": "message", "text": payload.get("text"), "bot_id": BOT_ID, "ts": ts},
            }
        if method == "apps.connections.open" and self.socket_url:
            return {"ok": True, "url": self.socket_url}
        return {"ok": False, "error": "unknown_method"}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                call = Call(self.path, _payload(self.headers.get("Content-Type", ""), raw))
                standin.record(call)
                if self.path.startswith("/api/"):
                    self._send("application/json", json.dumps(standin.api_result(call.method, call.payload)).encode())
                else:  # a response_url: Slack answers a plain "ok"
                    self._send("text/plain", b"ok")

            def _send(self, content_type: str, body: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Handler


class SocketModeStandIn:
    """Slack's Socket Mode end: the WebSocket the bot dials after apps.connections.open. It says
    hello, pushes the envelopes given to `push`, and records the bot's acknowledgements."""

    def __init__(self) -> None:
        self.acks: list[dict[str, Any]] = []
        self.connected = threading.Event()
        self._outbox: queue.Queue[str] = queue.Queue()
        self._stopping = threading.Event()
        self._server = serve(self._session, "127.0.0.1", 0, compression=None)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/link"

    def __enter__(self) -> SocketModeStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._server.shutdown()

    def push(self, payload: dict[str, Any], envelope_id: str) -> None:
        """Deliver an Events API payload the way Socket Mode wraps it."""
        envelope = {
            "envelope_id": envelope_id,
            "type": "events_api",
            "payload": payload,
            "accepts_response_payload": False,
            "retry_attempt": 0,
            "retry_reason": "",
        }
        self._outbox.put(json.dumps(envelope))

    def wait_for_ack(self, envelope_id: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [a for a in list(self.acks) if a.get("envelope_id") == envelope_id]
            if found:
                return found[0]
            time.sleep(0.1)
        raise AssertionError(f"envelope {envelope_id} was not acknowledged within {timeout:.0f}s: {self.acks}")

    def _session(self, ws: ServerConnection) -> None:
        ws.send(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0RAGTEST"}}))
        threading.Thread(target=self._read, args=(ws,), daemon=True).start()
        self.connected.set()
        while not self._stopping.is_set():  # ends with the test (or the connection)
            try:
                ws.send(self._outbox.get(timeout=0.2))
            except queue.Empty:
                continue
            except ConnectionClosed:
                return

    def _read(self, ws: ServerConnection) -> None:
        try:
            for message in ws:
                self.acks.append(json.loads(message))
        except ConnectionClosed:
            pass


class SlackSender:
    """Slack's side of the Events API: signed POSTs to our /slack/events."""

    def __init__(self, server_url: str, signing_secret: str) -> None:
        self.url = f"{server_url}/slack/events"
        self._verifier = SignatureVerifier(signing_secret)

    def signed_headers(self, body: str, content_type: str, timestamp: int | None = None) -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        return {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": self._verifier.generate_signature(timestamp=ts, body=body),
        }

    def post(self, body: str, headers: dict[str, str]) -> httpx.Response:
        return httpx.post(self.url, content=body.encode(), headers=headers, timeout=30)

    def event(self, payload: dict[str, Any], retry_num: int | None = None, timestamp: int | None = None) -> httpx.Response:
        body = json.dumps(payload)
        headers = self.signed_headers(body, "application/json", timestamp)
        if retry_num is not None:
            headers |= {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post(body, headers)

    def command(self, fields: dict[str, str]) -> httpx.Response:
        body = urllib.parse.urlencode(fields)
        return self.post(body, self.signed_headers(body, "application/x-www-form-urlencoded"))


_counter = iter(range(1, 1_000_000))


def next_ts() -> str:
    """A fresh Slack message timestamp ("seconds.micro"), unique within the test run."""
    return f"{int(time.time())}.{next(_counter):06d}"


def event_callback(event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    """An Events API envelope as Slack sends it."""
    return {
        "token": "legacy-unused",
        "team_id": TEAM_ID,
        "api_app_id": "A0RAGTEST",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_counter):08d}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
    }


def mention(channel: str, text: str, ts: str, thread_ts: str | None = None) -> dict[str, Any]:
    """An app_mention event: "@bot text" in a channel, optionally inside a thread."""
    event = {"type": "app_mention", "user": "U0ASKER", "text": f"<@{BOT_USER_ID}> {text}", "ts": ts, "channel": channel, "event_ts": ts}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def iter_texts(blocks: list[dict[str, Any]]) -> Iterator[str]:
    """Every mrkdwn/plain text in a list of blocks (sections and context elements)."""
    for block in blocks:
        if "text" in block:
            yield block["text"]["text"]
        for element in block.get("elements", ()):
            if "text" in element:
                yield element["text"]
