"""What the bot does with each kind of Slack request: mentions, direct messages, `/ask`.

The listeners get their arguments from slack_bolt by name (`event`, `client`, `ack`,
`respond`, `command`), so their parameter names are part of the contract with bolt.
Answering is delegated to the chat engine, which owns conversations: a Slack thread is one
conversation, keyed by channel and thread timestamp, so a follow-up in the thread is read in
the context of what was asked before. Each channel (or DM) asks only the collections that
RAG_SLACK_CHANNEL_COLLECTIONS maps it to; a channel with none is told so, never answered from
everything.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from index.store import Filters
from rag.limits import QuestionError, check_question
from rag.service import Services
from rag.types import Answer
from server.middleware.timeouts import ModelCalls, ModelTimeout
from server.slack.blocks import Block, escape, render_blocks, render_notice, render_question, render_text

log = logging.getLogger(__name__)

USAGE = "Ask me a question about the news corpus, e.g. `/ask Who is the President of the European Commission?`"
FAILED = "Sorry, something went wrong while answering that. Please try again in a moment."
BUSY = "Sorry, I am too busy to answer that right now. Please ask again in a minute."
NO_COLLECTION = "This channel has no collection of articles to answer from. An admin can give it one in RAG_SLACK_CHANNEL_COLLECTIONS."
EVERY_COLLECTION = "*"
# `<@U123>` or `<@U123|name>`: the mention that addressed the bot is not part of the question
_USER_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


@dataclass(frozen=True)
class SlackQuestion:
    """A question asked in a channel or DM, and the thread its answer belongs in."""

    text: str
    channel: str
    thread_ts: str

    @property
    def conversation_id(self) -> str:
        # thread timestamps are unique within a channel; fits the chat engine's id alphabet
        return f"slack:{self.channel}:{self.thread_ts}"


def is_from_bot(event: dict[str, Any]) -> bool:
    """Any bot, this one included: answering bots would let two bots talk to each other forever."""
    return bool(event.get("bot_id")) or event.get("subtype") == "bot_message"


def question_from_event(event: dict[str, Any]) -> SlackQuestion | None:
    """The question in a user's message event, or None for anything that is not one."""
    if is_from_bot(event) or event.get("subtype"):  # edits, deletions, joins: not questions
        return None
    text = " ".join(_USER_MENTION.sub(" ", event.get("text") or "").split())
    return SlackQuestion(text=text, channel=event["channel"], thread_ts=event.get("thread_ts") or event["ts"])


class SlackResponder:
    """Question in, rendered Slack message out; never raises, so a listener always has something to post.

    The model runs on the server's shared model pool (`ModelCalls`), not on bolt's threads: Slack
    questions then count against the same concurrency cap and deadline as API requests, and
    bolt's own threads stay free to acknowledge `/ask` within Slack's 3 seconds.
    """

    def __init__(self, services: Services, model_calls: ModelCalls) -> None:
        self._services = services
        self._model_calls = model_calls
        self._max_chars = services.settings.max_question_chars
        self._channels = services.settings.slack_channel_collections

    def channel_filters(self, channel: str | None) -> Filters | None:
        """The collections a channel asks (its own entry, else "*"'s); None when it has none."""
        names = self._channels.get(channel or "", self._channels.get(EVERY_COLLECTION))
        if not names:
            return None
        return Filters(collections=None if EVERY_COLLECTION in names else tuple(names))

    def reply(self, question: str, ask: Callable[[str], Answer]) -> tuple[str, list[Block]]:
        if not question:
            return render_notice(USAGE)
        try:
            check_question(question, self._max_chars)  # the rule HTTP and the CLI apply (rag/limits.py)
        except QuestionError as exc:
            return render_notice(f"Sorry, {exc}.")
        try:
            answer = self._model_calls.call(ask, question)
        except ModelTimeout:
            log.warning("a Slack question timed out after %gs", self._model_calls.timeout_seconds)
            return render_notice(BUSY)
        except Exception:
            log.exception("answering a Slack question failed")
            return render_notice(FAILED)
        return render_text(answer), render_blocks(answer)

    def in_thread(self, question: SlackQuestion) -> tuple[str, list[Block]]:
        """Part of the thread's conversation: follow-ups are resolved against earlier turns."""
        filters = self.channel_filters(question.channel)
        if filters is None and question.text:
            return render_notice(NO_COLLECTION)
        return self.reply(
            question.text,
            lambda q: self._services.chat.chat(q, conversation_id=question.conversation_id, filters=filters, owner="slack"),
        )

    def one_off(self, question: str, channel: str | None = None) -> tuple[str, list[Block]]:
        """A stand-alone question (`/ask`): no thread, so no conversation to continue."""
        filters = self.channel_filters(channel)
        if filters is None and question:
            return render_notice(NO_COLLECTION)
        return self.reply(question, lambda q: self._services.pipeline.ask(q, filters=filters))


class SlackListeners:
    """The bolt listeners; registered by server/slack/bot.py."""

    def __init__(self, responder: SlackResponder) -> None:
        self._responder = responder

    def _answer_in_thread(self, event: dict[str, Any], client: WebClient) -> None:
        question = question_from_event(event)
        if question is None:
            return
        text, blocks = self._responder.in_thread(question)
        client.chat_postMessage(
            channel=question.channel,
            thread_ts=question.thread_ts,
            text=text,
            blocks=blocks,
            unfurl_links=False,
            unfurl_media=False,
        )

    def on_mention(self, event: dict[str, Any], client: WebClient) -> None:
        """`@bot question` in a channel: answered in the thread of the asking message."""
        self._answer_in_thread(event, client)

    def on_message(self, event: dict[str, Any], client: WebClient) -> None:
        """Every message event reaches here; only direct messages to the bot are questions."""
        if event.get("channel_type") == "im":
            self._answer_in_thread(event, client)

    def ack_ask(self, ack: Callable[..., Any], command: dict[str, Any]) -> None:
        """Within Slack's 3 seconds: say what we are doing (only the asker sees it)."""
        question = (command.get("text") or "").strip()
        ack(text=f"Searching the corpus for: {escape(question)}" if question else USAGE)

    def answer_ask(self, command: dict[str, Any], respond: Callable[..., Any]) -> None:
        """After the ack (a lazy listener): the answer, posted to the channel via the response_url."""
        question = (command.get("text") or "").strip()
        if not question:
            return  # the ack already showed the usage
        text, blocks = self._responder.one_off(question, command.get("channel_id"))
        blocks = [render_question(command.get("user_id"), question), *blocks]
        respond(text=text, blocks=blocks, response_type="in_channel", replace_original=False)
