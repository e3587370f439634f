"""API keys, per-key rate limits, body-size limit and model-call timeouts, against a real
uvicorn server over the seed index."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest
from fastapi import WebSocket
from pydantic import SecretStr

from rag.settings import Settings
from server.middleware.api_keys import REALM, TokenBucket
from tests.support import running_server

# one key per test: the rate limit is per key, so tests never eat each other's budget
KEYS = {name: f"key-{name}-{n:04d}" for n, name in enumerate(("read", "limited", "other", "body", "chunked", "question", "slow"))}
BODY_LIMIT = 4096


@pytest.fixture(scope="module")
def secured(seed_settings) -> str:
    """Keys on, a tight rate (3 at once, then one every 100 s), a 4 KiB body limit, and a model
    timeout no real question can meet, so /v1/ask always times out here."""
    settings = seed_settings.model_copy(
        update={
            "api_keys": [SecretStr(k) for k in KEYS.values()],
            "rate_limit_per_second": 0.01,
            "rate_limit_burst": 3,
            "max_body_bytes": BODY_LIMIT,
            "model_timeout_seconds": 0.001,
        }
    )
    with running_server(settings) as url:
        yield url


def bearer(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[name]}"}


@pytest.mark.parametrize(
    "method,path", [("GET", "/v1/documents"), ("POST", "/v1/ask"), ("GET", "/metrics"), ("GET", "/openapi.json"), ("GET", "/nowhere")]
)
def test_missing_key_is_401_with_challenge(secured, method, path):
    r = httpx.request(method, secured + path, json={"question": "Who?"} if method == "POST" else None)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == REALM
    assert "Authorization: Bearer" in r.json()["error"]
    assert r.json()["request_id"] == r.headers["x-request-id"]


@pytest.mark.parametrize("value", ["Bearer wrong-key", "Basic " + KEYS["read"], "Bearer", KEYS["read"], "Bearer  x"])
def test_wrong_key_is_401(secured, value):
    r = httpx.get(secured + "/v1/documents", headers={"Authorization": value})
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith(REALM)


def test_health_and_page_shell_need_no_key(secured):
    assert httpx.get(secured + "/healthz").status_code == 200
    assert httpx.get(secured + "/readyz").status_code == 200
    for path in ("/", "/static/app.js", "/slack/events"):
        r = httpx.get(secured + path)
        assert r.headers.get("www-authenticate") != REALM, path  # whatever the page or Slack answers, not our 401


def test_valid_key_is_served_and_the_scheme_is_case_insensitive(secured):
    r = httpx.get(secured + "/v1/documents", headers={"Authorization": "bearer " + KEYS["read"]})
    assert r.status_code == 200
    assert len(r.json()) == 5


def test_rate_limit_is_per_key_with_retry_after(secured):
    codes = [httpx.get(secured + "/v1/documents", headers=bearer("limited")).status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    r = httpx.get(secured + "/v1/documents", headers=bearer("limited"))
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    assert "rate limit" in r.json()["error"]
    assert httpx.get(secured + "/v1/documents", headers=bearer("other")).status_code == 200  # other keys unaffected


def test_body_over_the_limit_is_413(secured):
    big = {"question": "Who?", "sources": ["x" * 50] * 90}  # ~5 KB: valid shape, too large
    r = httpx.post(secured + "/v1/ask", json=big, headers=bearer("body"))
    assert r.status_code == 413


def test_chunked_body_over_the_limit_is_413(secured):
    """No Content-Length to trust: the bytes are counted as they arrive."""

    def chunks():
        yield b'{"question": "'
        for _ in range(10):
            yield b"a" * 1000
        yield b'"}'

    r = httpx.post(secured + "/v1/ask", content=chunks(), headers={**bearer("chunked"), "Content-Type": "application/json"})
    assert r.status_code == 413


def test_overlong_question_is_422(secured):
    r = httpx.post(secured + "/v1/ask", json={"question": "w" * 2001}, headers=bearer("question"))
    assert r.status_code == 422


def test_model_call_over_the_timeout_is_503_and_the_server_goes_on(secured):
    r = httpx.post(secured + "/v1/ask", json={"question": "Who is the French President?"}, headers=bearer("slow"), timeout=60)
    assert r.status_code == 503
    assert "RAG_MODEL_TIMEOUT_SECONDS" in r.json()["error"]
    assert int(r.headers["retry-after"]) > 0
    assert httpx.get(secured + "/healthz").status_code == 200


def test_openapi_documents_the_bearer_scheme_and_error_answers(secured):
    schema = httpx.get(secured + "/openapi.json", headers=bearer("read")).json()
    assert schema["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    ask = schema["paths"]["/v1/ask"]["post"]
    assert ask["security"] == [{"bearer": []}] and {"401", "413", "429", "503"} <= set(ask["responses"])
    assert "security" not in schema["paths"]["/healthz"]["get"]


def test_token_bucket_allows_the_burst_then_says_how_long_to_wait():
    bucket = TokenBucket(rate=0.001, burst=2)
    assert bucket.take() == 0 and bucket.take() == 0
    wait = bucket.take()
    assert 900 < wait <= 1000  # one token at 0.001/s takes up to 1000 s


@pytest.mark.parametrize("value", ["k1,k2", " k1 , k2 ,", '["k1", "k2"]'])
def test_api_keys_env_accepts_commas_or_json(monkeypatch, value):
    monkeypatch.setenv("RAG_API_KEYS", value)
    assert [k.get_secret_value() for k in Settings().api_keys] == ["k1", "k2"]


def test_keys_never_show_in_settings_repr(monkeypatch):
    monkeypatch.setenv("RAG_API_KEYS", "very-secret")
    assert "very-secret" not in repr(Settings())


def bare_app(settings: Settings):
    """An app with only the operations layer, for behaviour no shipped route can trigger."""
    from fastapi import FastAPI

    from server.middleware import install

    app = FastAPI()
    install(app, settings)
    return app


def test_unhandled_error_is_a_logged_json_500_with_the_request_id(caplog):
    """The last resort, on a route that really raises (in-process: no shipped route does)."""
    app = bare_app(Settings())

    @app.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    async def call():
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/boom", headers={"X-Request-ID": "req-42"})

    with caplog.at_level(logging.ERROR, logger="rag.server"):
        r = asyncio.run(call())
    assert r.status_code == 500
    assert r.headers["x-request-id"] == "req-42"
    assert r.json()["request_id"] == "req-42" and "kaboom" not in json.dumps(r.json())
    record = next(rec for rec in caplog.records if rec.name == "rag.server")
    assert "kaboom" in str(record.exc_info[1])


def test_a_websocket_needs_a_key_too():
    from starlette.testclient import TestClient
    from starlette.websockets import WebSocketDisconnect

    app = bare_app(Settings(api_keys=["k"]))

    @app.websocket("/ws")
    async def hello(websocket: WebSocket):
        await websocket.accept()
        await websocket.send_text("hi")
        await websocket.close()

    client = TestClient(app)
    with pytest.raises(WebSocketDisconnect) as refused:
        with client.websocket_connect("/ws"):
            pass
    assert refused.value.code == 1008
    with client.websocket_connect("/ws", headers={"Authorization": "Bearer k"}) as ws:
        assert ws.receive_text() == "hi"
