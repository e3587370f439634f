"""The Slack bot end to end: our real server (uvicorn, models, index) receives requests signed
exactly as Slack signs them, and answers through a stand-in for Slack's Web API on 127.0.0.1."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr

from rag.settings import Settings
from tests.slack_standin import (
    BOT_ID,
    BOT_USER_ID,
    QUESTION,
    TEAM_ID,
    Call,
    SlackSender,
    SlackStandIn,
    event_callback,
    iter_texts,
    mention,
    next_ts,
)
from tests.support import COUNCIL, running_server

SIGNING_SECRET = "test-signing-secret-8f2a"
FOLLOW_UP = "What did she confirm?"


@pytest.fixture(scope="module")
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn() as s:
        yield s


@pytest.fixture(scope="module")
def slack_url(seed_settings: Settings, standin: SlackStandIn) -> Iterator[str]:
    settings = seed_settings.model_copy(
        update={
            "slack_mode": "http",
            "slack_bot_token": SecretStr("xoxb-test-token"),
            "slack_signing_secret": SecretStr(SIGNING_SECRET),
            "slack_api_base_url": standin.api_base_url,
            "api_keys": [SecretStr("an-api-key")],  # Slack cannot send it: its signature stands in
        }
    )
    with running_server(settings) as url:
        yield url


@pytest.fixture(scope="module")
def slack(slack_url: str) -> SlackSender:
    return SlackSender(slack_url, SIGNING_SECRET)


def texts(call: Call) -> list[str]:
    return list(iter_texts(call.payload["blocks"]))


def settle(slack: SlackSender, standin: SlackStandIn) -> None:
    """Ask a fresh question and wait for its answer, so that anything sent before it that was
    going to be answered has had the same chance to be (bolt works on a small thread pool)."""
    ts = next_ts()
    assert slack.event(event_callback(mention("C0SETTLE", QUESTION, ts))).status_code == 200
    standin.reply_in("C0SETTLE", ts)


def test_mention_is_answered_in_its_thread_with_citations(slack, standin):
    ts = next_ts()
    response = slack.event(event_callback(mention("C0NEWS", QUESTION, ts)))
    assert response.status_code == 200

    post = standin.reply_in("C0NEWS", ts)
    assert any(c.method == "auth.test" for c in standin.calls)  # bolt learnt who the bot is
    head, confidence, *rest = texts(post)
    label, answer = head.split("\n", 1)
    assert label == "Answer:"  # the band, worded as the page and the CLI word it
    assert answer.startswith("*") and answer.endswith("*")  # the answer, in bold
    assert confidence.startswith("Confidence ")
    citations = [t for t in rest if t.startswith("*[1] ")]
    assert citations and "\n> " in citations[0]  # numbered, with a quoted snippet
    assert answer in citations[0].split("\n> ", 1)[1]  # the answer span marked in the snippet
    assert answer.strip("*") in post.payload["text"]  # the plain-text fallback
    assert answer == "*Ursula von der Leyen*"  # and it is the right answer (needs the trained reader)


def test_direct_message_is_answered_in_its_thread(slack, standin):
    ts = next_ts()
    event = {"type": "message", "channel_type": "im", "user": "U0ASKER", "text": QUESTION, "ts": ts, "channel": "D0DM", "event_ts": ts}
    assert slack.event(event_callback(event)).status_code == 200
    post = standin.reply_in("D0DM", ts)
    head, *rest = texts(post)
    assert head.split("\n", 1)[1].startswith("*") and any(t.startswith("*[1] ") for t in rest)  # band, bold answer, citations


def test_follow_up_in_the_thread_continues_the_conversation(slack, standin):
    root = next_ts()
    slack.event(event_callback(mention("C0THREAD", QUESTION, root)))
    standin.reply_in("C0THREAD", root)

    reply = next_ts()
    slack.event(event_callback(mention("C0THREAD", FOLLOW_UP, reply, thread_ts=root)))
    post = standin.wait_for(lambda c: c.method == "chat.postMessage" and c.payload.get("channel") == "C0THREAD", count=2)[1]
    assert post.payload["thread_ts"] == root  # the follow-up's answer stays in the thread
    # "she" was resolved against the thread's first question and answer: what was searched differs
    assert any(t.startswith("Searched for:") and "she" not in t.split() for t in texts(post))

    # the same words in a new thread start a new conversation: nothing to resolve "she" against
    fresh = next_ts()
    slack.event(event_callback(mention("C0OTHER", FOLLOW_UP, fresh)))
    post = standin.reply_in("C0OTHER", fresh)
    assert not any(t.startswith("Searched for:") for t in texts(post))


def test_a_retried_event_is_answered_once(slack, standin):
    ts = next_ts()
    payload = event_callback(mention("C0RETRY", QUESTION, ts))
    assert slack.event(payload).status_code == 200
    standin.reply_in("C0RETRY", ts)
    for retry in (1, 2, 3):  # Slack's three retries, with the same event_id
        response = slack.event(payload, retry_num=retry)
        assert response.status_code == 200  # acknowledged, so Slack stops retrying
    settle(slack, standin)
    assert len(standin.posts(channel="C0RETRY")) == 1


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(lambda s, body: {"Content-Type": "application/json"}, id="missing"),
        pytest.param(lambda s, body: SlackSender(s.url, "not-the-secret").signed_headers(body, "application/json"), id="wrong-secret"),
        pytest.param(lambda s, body: s.signed_headers(body, "application/json", timestamp=int(time.time()) - 6 * 60), id="stale"),
        pytest.param(lambda s, body: s.signed_headers(body.replace("Who", "Why"), "application/json"), id="body-tampered"),
    ],
)
def test_bad_signatures_are_rejected_and_do_nothing(slack, standin, headers):
    channel = f"C0FORGED{next_ts().replace('.', '')}"
    body = json.dumps(event_callback(mention(channel, QUESTION, next_ts())))
    response = slack.post(body, headers(slack, body))
    assert response.status_code == 401
    settle(slack, standin)
    assert standin.posts(channel=channel) == []


def test_url_verification_challenge(slack):
    body = json.dumps(
        {"token": "legacy-unused", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"}
    )
    response = slack.post(body, slack.signed_headers(body, "application/json"))
    assert response.status_code == 200
    assert response.json()["challenge"] == "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"


def test_bot_messages_are_ignored(slack, standin):
    own = {
        "type": "message",
        "channel_type": "im",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "text": QUESTION,
        "ts": next_ts(),
        "channel": "D0BOTS",
    }
    other = {
        "type": "message",
        "channel_type": "im",
        "subtype": "bot_message",
        "bot_id": "B0OTHER",
        "text": QUESTION,
        "ts": next_ts(),
        "channel": "D0BOTS",
    }
    other_mention = {**mention("C0BOTS", QUESTION, next_ts()), "bot_id": "B0OTHER"}
    for event in (own, other, other_mention):
        assert slack.event(event_callback(event)).status_code == 200
    settle(slack, standin)
    assert standin.posts(channel="D0BOTS") == [] and standin.posts(channel="C0BOTS") == []


def test_slash_command_is_acknowledged_then_answered(slack, standin):
    response_url = standin.response_url("ask-1")
    response = slack.command(
        {
            "token": "legacy-unused",
            "team_id": TEAM_ID,
            "channel_id": "C0SLASH",
            "user_id": "U0ASKER",
            "command": "/ask",
            "text": QUESTION,
            "response_url": response_url,
            "trigger_id": "13345224609.738474920.8088930838d88f008e0",
            "api_app_id": "A0RAGTEST",
        }
    )
    assert response.status_code == 200  # the ack came back (the answer is not in it)
    assert "Searching the corpus for" in response.text

    call = standin.wait_for(lambda c: c.path == "/respond/ask-1")[0]
    assert call.payload["response_type"] == "in_channel"
    shown = list(iter_texts(call.payload["blocks"]))
    assert shown[0] == f"<@U0ASKER> asked: {QUESTION}"
    assert shown[1].split("\n", 1)[1].startswith("*") and any(t.startswith("*[1] ") for t in shown[2:])  # band, bold answer, citations


def test_empty_slash_command_gets_usage_and_no_answer(slack, standin):
    response = slack.command(
        {
            "team_id": TEAM_ID,
            "channel_id": "C0SLASH",
            "user_id": "U0ASKER",
            "command": "/ask",
            "text": "  ",
            "response_url": standin.response_url("ask-empty"),
        }
    )
    assert response.status_code == 200
    assert "/ask" in response.text
    settle(slack, standin)
    assert standin.matching(lambda c: c.path == "/respond/ask-empty") == []


def test_the_endpoint_is_off_unless_http_mode_is_set(live_server):
    body = json.dumps({"type": "url_verification", "challenge": "c"})
    response = httpx.post(
        f"{live_server}/slack/events",
        content=body,
        headers=SlackSender(live_server, SIGNING_SECRET).signed_headers(body, "application/json"),
    )
    assert response.status_code == 404


def test_slack_asks_as_of_today(slack, standin):
    """Slack has no day to send: a message is a question about now, so the current holder answers."""
    ts = next_ts()
    assert slack.event(event_callback(mention("C0TODAY", COUNCIL, ts))).status_code == 200
    answer, *_ = texts(standin.reply_in("C0TODAY", ts))
    assert "Costa" in answer
