"""The Slack bot's parts that need no server: rendering, event memory, settings, Socket Mode wiring."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import yaml
from pydantic import SecretStr

from cli.main import main as cli_main
from rag.service import Services
from rag.settings import REPO_ROOT, Settings
from rag.types import Answer, Citation, Item, Outlet
from server.middleware.timeouts import ModelCalls
from server.routes.slack import EVENTS_PATH
from server.slack.blocks import escape, marked_snippet, render_blocks, render_text
from server.slack.bot import SlackBot, SlackConfigError, check_settings
from server.slack.dedupe import SeenEvents
from server.slack.handlers import BUSY, FAILED, USAGE, SlackResponder, question_from_event

ARTICLE = "Brussels & <!channel>: the President of the Commission, Ursula von der Leyen, said <b>no</b>."


def citation(title: str = "EU <sanctions> & Russia", start: int = 56, end: int = 76) -> Citation:
    return Citation(
        doc_id="d1",
        title=title,
        date=dt.date(2025, 9, 9),
        source="Example News",
        chunk_id=1,
        start=start,
        end=end,
        snippet=ARTICLE,
        snippet_start=0,
        confidence=0.9,
    )


def answer(text: str | None, citations: list[Citation], query: str = "q?") -> Answer:
    return Answer(
        question="q?",
        query=query,
        answer=text,
        confidence=0.87 if text else 0.1,
        message="Found in 1 article." if text else "Not found in the corpus: no passage supports an answer.",
        citations=citations,
        passages=[],
        timings_ms={},
    )


def test_escape_neutralises_slack_control_characters():
    assert escape("a & <!channel> <@U1> >") == "a &amp; &lt;!channel&gt; &lt;@U1&gt; &gt;"


def test_snippet_marks_the_answer_span_and_escapes_the_rest():
    c = citation()
    assert ARTICLE[c.start : c.end] == "Ursula von der Leyen"
    marked = marked_snippet(c)
    assert "*Ursula von der Leyen*" in marked
    assert "<!channel>" not in marked and "&lt;!channel&gt;" in marked and "&amp;" in marked


def test_snippet_span_outside_the_snippet_is_quoted_unmarked():
    c = citation(start=500, end=510)
    assert marked_snippet(c) == escape(ARTICLE)


def test_answer_blocks_bold_answer_confidence_and_numbered_citations():
    blocks = render_blocks(answer("Ursula <von> der Leyen", [citation(), citation(title="Second")]))
    assert blocks[0]["text"]["text"] == "Answer:\n*Ursula &lt;von&gt; der Leyen*"
    assert blocks[1]["elements"][0]["text"].startswith("Confidence 87%")
    headings = [b["text"]["text"].split("\n")[0] for b in blocks if b["type"] == "section"][1:]
    assert headings == ["*[1] EU &lt;sanctions&gt; &amp; Russia* — 2025-09-09, Example News", "*[2] Second* — 2025-09-09, Example News"]


def test_a_citation_names_the_other_outlets_of_its_story():
    c = citation().model_copy(update={"also_published_by": [Outlet(doc_id="d2", source="Heron <Post>", date=None)]})
    blocks = render_blocks(answer("Ursula von der Leyen", [c]))
    heading = [b["text"]["text"].split("\n")[0] for b in blocks if b["type"] == "section"][1]
    assert heading.endswith("Example News, also published by Heron &lt;Post&gt;")


def test_not_found_is_said_plainly_without_citations():
    a = answer(None, [])
    blocks = render_blocks(a)
    assert [b["type"] for b in blocks] == ["section"]
    assert blocks[0]["text"]["text"].startswith("*Not found*\nNot found in the corpus")
    assert render_text(a).startswith("Not found: Not found in the corpus")


def test_the_band_and_a_lists_items_are_shown_as_the_page_and_the_cli_show_them():
    possible = answer("Ursula von der Leyen", [citation()]).model_copy(update={"confidence_band": "possible"})
    assert render_blocks(possible)[0]["text"]["text"].startswith("Possible answer (low confidence):\n")
    assert render_text(possible).startswith("Possible answer (low confidence): Ursula von der Leyen")
    items = [Item(text="Norway", citation=citation()), Item(text="Ire<land>", citation=citation())]
    listed = answer("Norway; Ire<land>", [citation(), citation()]).model_copy(update={"items": items})
    assert render_blocks(listed)[0]["text"]["text"] == "Answer:\n• *Norway* [1]\n• *Ire&lt;land&gt;* [2]"


def test_rewritten_follow_up_shows_what_was_searched():
    blocks = render_blocks(answer("Yes", [], query="Did <Ursula> say so?"))
    assert blocks[-1]["elements"][0]["text"] == "Searched for: Did &lt;Ursula&gt; say so?"


def test_fallback_text_names_answer_and_sources():
    assert render_text(answer("Ursula von der Leyen", [citation()])) == (
        "Answer: Ursula von der Leyen (confidence 87%). Sources: [1] EU &lt;sanctions&gt; &amp; Russia (2025-09-09)"
    )


def test_question_from_event_strips_mentions_and_finds_the_thread():
    q = question_from_event(
        {"type": "app_mention", "text": "<@U0BOT|rag> who  leads\nthe EU?", "ts": "1.1", "thread_ts": "0.9", "channel": "C1"}
    )
    assert (q.text, q.channel, q.thread_ts, q.conversation_id) == ("who leads the EU?", "C1", "0.9", "slack:C1:0.9")
    assert question_from_event({"text": "hi", "ts": "2.2", "channel": "C1"}).thread_ts == "2.2"
    assert question_from_event({"text": "edited", "ts": "3", "channel": "C1", "subtype": "message_changed"}) is None
    assert question_from_event({"text": "beep", "ts": "3", "channel": "C1", "bot_id": "B1"}) is None


def test_seen_events_claims_once_and_survives_a_restart(tmp_path):
    path = tmp_path / "slack_events.sqlite3"
    first = SeenEvents(path)
    assert first.claim("Ev1") is True
    assert first.claim("Ev1") is False
    first.close()
    restarted = SeenEvents(path)
    assert restarted.claim("Ev1") is False  # a retry after a restart is still a repeat
    assert restarted.claim("Ev2") is True
    restarted.close()


def test_seen_events_forgets_after_retention(tmp_path):
    seen = SeenEvents(tmp_path / "s.sqlite3", retention_seconds=0)
    assert seen.claim("Ev1") is True
    assert seen.claim("Ev1") is True  # pruned: memory is bounded
    seen.close()


@pytest.mark.parametrize(
    "mode, given, missing",
    [
        ("http", {"slack_bot_token": "xoxb-1"}, "RAG_SLACK_SIGNING_SECRET"),
        ("socket", {"slack_bot_token": "xoxb-1"}, "RAG_SLACK_APP_TOKEN"),
        ("socket", {"slack_app_token": "xapp-1"}, "RAG_SLACK_BOT_TOKEN"),
    ],
)
def test_missing_secrets_fail_by_name(tmp_path, mode, given, missing):
    settings = Settings(data_dir=tmp_path, slack_mode=mode, **{k: SecretStr(v) for k, v in given.items()})
    with pytest.raises(SlackConfigError, match=missing):
        check_settings(settings)


def test_socket_mode_bot_is_built_with_the_app_token(tmp_path):
    settings = Settings(
        data_dir=tmp_path,
        slack_mode="socket",
        slack_bot_token=SecretStr("xoxb-1"),
        slack_app_token=SecretStr("xapp-1-A1-2"),
        slack_api_base_url="http://127.0.0.1:9/api/",
    )
    bot = SlackBot(settings, Services(settings))  # Services is lazy: no model loads here
    try:
        assert bot.socket is not None
        assert bot.socket.app is bot.app
        assert bot.socket.client.app_token == "xapp-1-A1-2"
        assert bot.socket.client.web_client.base_url == "http://127.0.0.1:9/api/"  # apps.connections.open goes there
    finally:
        bot.close()


@pytest.mark.parametrize("mode", ["http", "socket"])
def test_manifest_subscribes_to_what_the_bot_handles(mode):
    manifest = yaml.safe_load((REPO_ROOT / "deploy" / f"slack-manifest-{mode}.yaml").read_text())
    settings = manifest["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {"app_mention", "message.im"}
    assert {"app_mentions:read", "chat:write", "commands", "im:history"} <= set(manifest["oauth_config"]["scopes"]["bot"])
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/ask"]
    assert settings["socket_mode_enabled"] is (mode == "socket")
    if mode == "http":
        assert settings["event_subscriptions"]["request_url"].endswith(EVENTS_PATH)
        assert manifest["features"]["slash_commands"][0]["url"].endswith(EVENTS_PATH)


@pytest.fixture
def responder(tmp_path):
    model_calls = ModelCalls(timeout_seconds=0.2, concurrency=1)
    yield SlackResponder(Services(Settings(data_dir=tmp_path, max_question_chars=50)), model_calls)
    model_calls.shutdown()


def test_responder_says_busy_when_the_model_pool_is_past_its_deadline(responder):
    release = threading.Event()
    try:
        text, blocks = responder.reply("Who?", lambda q: release.wait(30))
    finally:
        release.set()
    assert text == BUSY and blocks[0]["text"]["text"] == BUSY


def test_responder_turns_failures_and_bad_questions_into_notices(responder):
    def broken(question: str) -> Answer:
        raise RuntimeError("index gone")

    assert responder.reply("Who?", broken)[0] == FAILED
    assert responder.reply("", broken)[0] == escape(USAGE)
    assert "limit is 50" in responder.reply("x" * 51, broken)[0]


@pytest.mark.parametrize(
    "argv, env, named",
    [
        (["slack"], {"RAG_SLACK_BOT_TOKEN": "xoxb-1"}, "RAG_SLACK_APP_TOKEN"),
        (["serve"], {"RAG_SLACK_MODE": "http", "RAG_SLACK_BOT_TOKEN": "xoxb-1"}, "RAG_SLACK_SIGNING_SECRET"),
    ],
)
def test_cli_refuses_to_start_slack_without_its_secrets(monkeypatch, capsys, tmp_path, argv, env, named):
    for name in ("RAG_SLACK_MODE", "RAG_SLACK_BOT_TOKEN", "RAG_SLACK_APP_TOKEN", "RAG_SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert cli_main(argv) == 2
    assert named in capsys.readouterr().err
