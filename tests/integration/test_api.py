"""The HTTP API on a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import httpx
import pytest


@pytest.fixture(scope="module")
def client(live_server):
    with httpx.Client(base_url=live_server, timeout=60) as c:
        yield c


def test_ask_returns_the_answer_object(client):
    r = client.post("/v1/ask", json={"question": "Who is the President of the European Commission?", "top_k": 5})
    assert r.status_code == 200
    body = r.json()
    assert "Ursula von der Leyen" in body["answer"]
    assert 0 < body["confidence"] <= 1
    for key in ("doc_id", "title", "date", "chunk_id", "start", "end", "text"):
        assert key in body["citations"][0]
    assert len(body["passages"]) == 5 and body["timings_ms"]["total_ms"] > 0
    c = body["citations"][0]
    article = client.get(f"/v1/documents/{c['doc_id']}").json()["text"]
    assert article[c["start"] : c["end"]] == body["answer"]


def test_no_answer_is_null_and_said_in_words(client):
    body = client.post("/v1/ask", json={"question": "What is the capital of Australia?"}).json()
    assert body["answer"] is None and "not found" in body["message"].lower()


def test_filters_in_the_request(client):
    body = client.post("/v1/ask", json={"question": "Who is the French President?", "doc_ids": ["002_39e0529d6a0ceab0"]}).json()
    assert {p["doc_id"] for p in body["passages"]} == {"002_39e0529d6a0ceab0"}
    r = client.post("/v1/ask", json={"question": "x?", "since": "not-a-date"})
    assert r.status_code == 422 and "since" in r.json()["error"]


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"question": ""}, "question"),
        ({"question": "   \n"}, "empty"),
        ({"question": "x" * 2001}, "question"),
        ({"question": "Who?", "colour": "red"}, "colour"),
        ({"question": 42}, "question"),
        ({"question": "Who?", "top_k": 0}, "top_k"),
        ({"question": "Who?", "top_k": "many"}, "top_k"),
        ({}, "question"),
    ],
)
def test_bad_requests_get_a_clear_4xx(client, payload, fragment):
    r = client.post("/v1/ask", json=payload)
    assert r.status_code == 422
    assert fragment in r.json()["error"]


def test_malformed_json_body_is_a_4xx(client):
    r = client.post("/v1/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422


def test_documents_and_health(client):
    docs = client.get("/v1/documents").json()
    assert len(docs) == 5 and all(d["text"] is None for d in docs)
    assert client.get("/v1/documents/nope").status_code == 404
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["documents"] == 5 and ready["vectors"] == ready["chunks"] > 0
