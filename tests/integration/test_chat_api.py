"""POST /v1/chat on a real uvicorn server over the seed corpus, with the real models."""

from __future__ import annotations

import httpx
import pytest

from tests.support import running_server

TREASURY = "Who is the US Treasury Secretary?"
TV_PROGRAMME = "Which TV programme did he speak on?"
JOINED = "Who joined him at the meeting?"


@pytest.fixture(scope="module")
def client(live_server):
    with httpx.Client(base_url=live_server, timeout=120) as c:
        yield c


def _chat(client: httpx.Client, message: str, conversation_id: str | None = None) -> dict:
    payload = {"message": message} | ({"conversation_id": conversation_id} if conversation_id else {})
    r = client.post("/v1/chat", json=payload)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_follow_up_is_answered_in_context(client):
    first = _chat(client, TREASURY)
    assert "Bessent" in first["answer"]
    assert first["query"] == TREASURY  # nothing to resolve in a first question

    second = _chat(client, JOINED, first["conversation_id"])
    assert second["conversation_id"] == first["conversation_id"]
    assert second["question"] == JOINED
    assert second["query"] == "Who joined Scott Bessent at the meeting?"
    assert second["answer"] and "John Hurley" in second["answer"]
    citation = second["citations"][0]
    article = client.get(f"/v1/documents/{citation['doc_id']}").json()["text"]
    assert article[citation["start"] : citation["end"]] == second["answer"]


def test_the_issue_example_follow_up_names_the_programme(client):
    """The user's British "programme" against the article's "program" (index/spelling.py)."""
    first = _chat(client, TREASURY)
    second = _chat(client, TV_PROGRAMME, first["conversation_id"])
    assert second["query"] == "Which TV programme did Scott Bessent speak on?"
    assert second["answer"] and "meet the press" in second["answer"].lower()  # the seeds write "Meet the Press" and "Meet The Press"
    citation = second["citations"][0]
    article = client.get(f"/v1/documents/{citation['doc_id']}").json()["text"]
    assert article[citation["start"] : citation["end"]] == second["answer"]


def test_without_the_conversation_the_follow_up_is_not_rewritten(client):
    alone = _chat(client, TV_PROGRAMME)
    assert alone["query"] == TV_PROGRAMME


def test_each_new_conversation_gets_its_own_id(client):
    assert _chat(client, TREASURY)["conversation_id"] != _chat(client, TREASURY)["conversation_id"]


def test_an_unknown_conversation_is_404(client):
    r = client.post("/v1/chat", json={"message": TV_PROGRAMME, "conversation_id": "no-such-conversation"})
    assert r.status_code == 404
    assert "no conversation 'no-such-conversation'" in r.text


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"message": ""}, "message"),
        ({"message": "  \n "}, "empty"),
        ({"message": "x" * 2001}, "message"),
        ({}, "message"),
        ({"message": "Who?", "conversation_id": "has spaces"}, "conversation_id"),
        ({"message": "Who?", "conversation_id": "x" * 201}, "conversation_id"),
        ({"message": "Who?", "question": "Who?"}, "question"),
        ({"message": "Who?", "top_k": 0}, "top_k"),
    ],
)
def test_bad_requests_get_a_clear_4xx(client, payload, fragment):
    r = client.post("/v1/chat", json=payload)
    assert r.status_code == 422
    assert fragment in r.json()["error"]


def test_a_conversation_survives_a_server_restart(seed_settings):
    with running_server(seed_settings) as url:
        first = httpx.post(f"{url}/v1/chat", json={"message": TREASURY}, timeout=120).json()
    with running_server(seed_settings) as url:
        r = httpx.post(f"{url}/v1/chat", json={"message": TV_PROGRAMME, "conversation_id": first["conversation_id"]}, timeout=120)
    assert r.status_code == 200, r.text
    assert "Bessent" in r.json()["query"]
