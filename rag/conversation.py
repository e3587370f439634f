"""Multi-turn chat: conversations remembered in SQLite, follow-ups resolved against them.

The HTTP chat API, the OpenAI-compatible endpoint and the Slack bot all talk through
`ChatEngine`, so a follow-up means the same thing whichever door it came in by.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from index.errors import RagError
from index.store import Filters, ThreadConnections, write_transaction
from rag.answer import AnswerPipeline
from rag.followup import FollowUpRewriter, Turn
from rag.types import Answer, ChatAnswer

CONVERSATION_ID = re.compile(r"[A-Za-z0-9:._-]{1,200}")

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    conversation_id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    owner TEXT
);
CREATE INDEX IF NOT EXISTS conversations_by_activity ON conversations(updated_at);
CREATE TABLE IF NOT EXISTS turns (
    turn_id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(conversation_id) ON DELETE CASCADE,
    question TEXT NOT NULL,
    query TEXT NOT NULL,
    answer TEXT,
    cited_doc_ids TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS turns_by_conversation ON turns(conversation_id, turn_id);
"""


class ConversationNotFound(LookupError):
    """The id names no live conversation: it never existed, or it expired."""


class InvalidConversationId(RagError, ValueError):
    """The id is not 1-200 characters of [A-Za-z0-9:._-]."""

    exit_code = 2  # bad input: nothing was touched


def validate_conversation_id(conversation_id: str) -> str:
    if not isinstance(conversation_id, str) or not CONVERSATION_ID.fullmatch(conversation_id):
        raise InvalidConversationId(f"invalid conversation_id {str(conversation_id)[:40]!r}: use 1-200 characters of A-Z a-z 0-9 : . _ -")
    return conversation_id


class ConversationStore:
    """Conversations and their turns in their own SQLite file (WAL, one connection per thread).

    A conversation lives `ttl_seconds` after its last turn and keeps only its last
    `max_turns` turns: old context rarely helps a follow-up, and an unbounded history
    would let one client grow the file without limit.
    """

    def __init__(self, path: Path, ttl_seconds: float, max_turns: int, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.ttl_seconds = ttl_seconds
        self.max_turns = max_turns
        self._clock = clock
        self._connections = ThreadConnections(self.path)
        self._con.executescript(SCHEMA)
        if "owner" not in {row[1] for row in self._con.execute("PRAGMA table_info(conversations)")}:
            self._con.execute("ALTER TABLE conversations ADD COLUMN owner TEXT")  # a file from before owners

    @property
    def _con(self) -> sqlite3.Connection:
        return self._connections.get()

    def close(self) -> None:
        self._connections.close()

    def create(self, conversation_id: str | None = None, owner: str | None = None) -> str:
        """Start a conversation, under the caller's id or a fresh random one; an id that is
        already live is left as it is, and is ConversationNotFound when another owner holds it."""
        conversation_id = uuid.uuid4().hex if conversation_id is None else validate_conversation_id(conversation_id)
        now = self._clock()
        self.purge_expired()
        self._con.execute("INSERT OR IGNORE INTO conversations VALUES (?, ?, ?, ?)", (conversation_id, now, now, owner))
        held_by = self._con.execute("SELECT owner FROM conversations WHERE conversation_id = ?", (conversation_id,)).fetchone()
        if held_by[0] != owner:
            raise ConversationNotFound(f"no conversation {conversation_id!r} for this caller; start a new one")
        return conversation_id

    def turns(self, conversation_id: str, owner: str | None = None) -> list[Turn]:
        """The remembered turns, oldest first; ConversationNotFound when none is live, or when
        it belongs to another owner (the same answer, so an id says nothing of who holds it)."""
        validate_conversation_id(conversation_id)
        row = self._con.execute("SELECT updated_at, owner FROM conversations WHERE conversation_id = ?", (conversation_id,)).fetchone()
        if row is None or self._expired(row[0]) or row[1] != owner:
            raise ConversationNotFound(
                f"no conversation {conversation_id!r}: it never existed or expired "
                f"{self.ttl_seconds:g} seconds after its last message; start a new one"
            )
        rows = self._con.execute(
            "SELECT question, query, answer, cited_doc_ids FROM turns WHERE conversation_id = ? ORDER BY turn_id",
            (conversation_id,),
        ).fetchall()
        return [Turn(q, query, a, tuple(json.loads(docs))) for q, query, a, docs in rows]

    def append(self, conversation_id: str, turn: Turn, owner: str | None = None) -> None:
        """Add a turn and drop the oldest beyond `max_turns`, in one transaction."""
        now = self._clock()
        with write_transaction(self._con) as con:
            con.execute("INSERT OR IGNORE INTO conversations VALUES (?, ?, ?, ?)", (conversation_id, now, now, owner))
            con.execute("UPDATE conversations SET updated_at = ? WHERE conversation_id = ?", (now, conversation_id))
            con.execute(
                "INSERT INTO turns (conversation_id, question, query, answer, cited_doc_ids, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (conversation_id, turn.question, turn.query, turn.answer, json.dumps(list(turn.cited_doc_ids)), now),
            )
            con.execute(
                "DELETE FROM turns WHERE conversation_id = ? AND turn_id NOT IN"
                " (SELECT turn_id FROM turns WHERE conversation_id = ? ORDER BY turn_id DESC LIMIT ?)",
                (conversation_id, conversation_id, self.max_turns),
            )

    def purge_expired(self) -> int:
        """Delete the conversations (and their turns) idle for longer than the TTL."""
        cursor = self._con.execute("DELETE FROM conversations WHERE updated_at < ?", (self._clock() - self.ttl_seconds,))
        return cursor.rowcount

    def _expired(self, updated_at: float) -> bool:
        return updated_at < self._clock() - self.ttl_seconds


class ChatEngine:
    """One turn of a conversation: rewrite the follow-up, answer it, remember it."""

    def __init__(self, pipeline: AnswerPipeline, store: ConversationStore, rewriter: FollowUpRewriter | None = None) -> None:
        self.pipeline = pipeline
        self.store = store
        self.rewriter = rewriter or FollowUpRewriter()

    def chat(
        self,
        message: str,
        conversation_id: str | None = None,
        top_k: int | None = None,
        filters: Filters | None = None,
        create_missing: bool = True,
        owner: str | None = None,
    ) -> ChatAnswer:
        """Answer `message` in the conversation `conversation_id`.

        No id starts a new conversation with a random id. An unknown id is created when
        `create_missing` (callers such as Slack name conversations after their threads),
        and is ConversationNotFound otherwise (the HTTP API only continues the ids it gave out).
        A conversation belongs to the `owner` that started it (an API key's name): another
        owner continuing it is ConversationNotFound, and never sees its history.
        """
        if not message or not message.strip():
            raise ValueError("the message is empty")
        if conversation_id is None:
            conversation_id, history = self.store.create(owner=owner), []
        else:
            try:
                history = self.store.turns(conversation_id, owner)
            except ConversationNotFound:
                if not create_missing:
                    raise
                conversation_id, history = self.store.create(conversation_id, owner), []
        answer = self.answer(message, history, top_k, filters)
        self.store.append(conversation_id, Turn.from_answer(answer), owner)
        return ChatAnswer(**dict(answer), conversation_id=conversation_id)

    def answer(self, message: str, history: Sequence[Turn], top_k: int | None = None, filters: Filters | None = None) -> Answer:
        """Answer `message` given the turns before it, without remembering anything."""
        rewrite = self.rewriter.rewrite(message, history)
        return self.pipeline.ask(message, top_k, filters, query=rewrite.query, boost_doc_ids=rewrite.boost_doc_ids)

    def replay(self, exchanges: Iterable[tuple[str, str | None]]) -> list[Turn]:
        """Turns rebuilt from (question, answer) pairs that a client kept (the OpenAI API
        sends the whole history each time): each question is rewritten against the ones
        before it, exactly as it was when it was asked."""
        turns: list[Turn] = []
        for question, answer in exchanges:
            rewrite = self.rewriter.rewrite(question, turns)
            turns.append(Turn(question.strip(), rewrite.query, answer))
        return turns
