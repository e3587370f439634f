"""The official `openai` client against /v1 on a real uvicorn server, streamed and not."""

from __future__ import annotations

import openai
import pytest
from openai import OpenAI

TREASURY = "Who is the US Treasury Secretary?"
TV_PROGRAMME = "Which TV programme did he speak on?"


@pytest.fixture(scope="module")
def client(live_server) -> OpenAI:
    return OpenAI(base_url=f"{live_server}/v1", api_key="not-needed-without-RAG_API_KEYS", max_retries=0, timeout=120)


def _conversation(client: OpenAI) -> list[dict]:
    """The two-turn example as a client keeps it: the first reply goes back as history."""
    first = client.chat.completions.create(model="rag-news", messages=[{"role": "user", "content": TREASURY}])
    return [
        {"role": "system", "content": "You answer from the news corpus."},
        {"role": "user", "content": TREASURY},
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": TV_PROGRAMME},
    ]


def test_models_lists_rag_news(client):
    assert [m.id for m in client.models.list()] == ["rag-news", "rag-news/default"]  # every collection, then each
    assert client.models.retrieve("rag-news").id == "rag-news"


def test_completion_carries_answer_numbered_citations_and_citation_objects(client):
    reply = client.chat.completions.create(model="rag-news", messages=[{"role": "user", "content": TREASURY}])
    assert reply.object == "chat.completion"
    choice = reply.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    answer, sources = choice.message.content.split("\n\n")
    assert "Bessent" in answer
    citations = choice.message.citations  # the extra field: full Citation objects
    assert citations and {"doc_id", "title", "date", "start", "end", "text", "snippet_start"} <= set(citations[0])
    assert sources.splitlines()[0] == f"[1] {citations[0]['title']}, {citations[0]['date'] or 'undated'}"
    assert len(sources.splitlines()) == len(citations)


def test_follow_up_from_the_message_history(client):
    reply = client.chat.completions.create(model="rag-news", messages=_conversation(client))
    message = reply.choices[0].message
    assert message.query == "Which TV programme did Scott Bessent speak on?"
    assert "meet the press" in message.content.split("\n\n")[0].lower()


def test_streamed_reply_is_the_same_reply_in_chunks(client):
    messages = _conversation(client)
    whole = client.chat.completions.create(model="rag-news", messages=messages).choices[0].message
    chunks = list(client.chat.completions.create(model="rag-news", messages=messages, stream=True))
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == whole.content
    assert [c.choices[0].finish_reason for c in chunks][-1] == "stop"
    assert all(c.choices[0].finish_reason is None for c in chunks[:-1])
    final = chunks[-1].choices[0].delta
    assert final.citations == whole.citations and final.query == whole.query


def test_not_found_is_said_in_the_reply(client):
    reply = client.chat.completions.create(model="rag-news", messages=[{"role": "user", "content": "What is the capital of Australia?"}])
    assert reply.choices[0].message.content.startswith("Not found in the corpus")
    assert reply.choices[0].message.citations == []


def test_content_parts_are_read_as_text(client):
    reply = client.chat.completions.create(model="rag-news", messages=[{"role": "user", "content": [{"type": "text", "text": TREASURY}]}])
    assert "Bessent" in reply.choices[0].message.content


def test_unknown_model_is_404(client):
    with pytest.raises(openai.NotFoundError, match="gpt-4o"):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": TREASURY}])


@pytest.mark.parametrize(
    ("messages", "fragment"),
    [
        ([], "messages"),
        ([{"role": "user", "content": TREASURY}, {"role": "assistant", "content": "Scott Bessent"}], "last message"),
        ([{"role": "user", "content": "   "}], "empty"),
        ([{"role": "user", "content": "x" * 2001}], "limit is 2000"),
        ([{"role": "wizard", "content": TREASURY}], "role"),
    ],
)
def test_bad_requests_are_a_clear_422(client, messages, fragment):
    with pytest.raises(openai.UnprocessableEntityError, match=fragment):
        client.chat.completions.create(model="rag-news", messages=messages)
