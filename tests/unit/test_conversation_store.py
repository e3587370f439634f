"""ConversationStore: SQLite-backed, survives reopening, expires idle conversations, stays bounded."""

from __future__ import annotations

import threading

import pytest

from rag.conversation import ConversationNotFound, ConversationStore, InvalidConversationId
from rag.followup import Turn


class Clock:
    """A settable time source, so expiry is tested without sleeping."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def turn(n: int) -> Turn:
    return Turn(f"question {n}?", f"query {n}?", f"answer {n}", (f"doc-{n}",))


def test_turns_survive_reopening_the_file(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3", ttl_seconds=60, max_turns=10)
    cid = store.create()
    store.append(cid, turn(1))
    store.append(cid, turn(2))
    store.close()

    reopened = ConversationStore(tmp_path / "c.sqlite3", ttl_seconds=60, max_turns=10)
    assert reopened.turns(cid) == [turn(1), turn(2)]


def test_random_ids_are_distinct_and_caller_ids_are_kept(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3", ttl_seconds=60, max_turns=10)
    assert store.create() != store.create()
    assert store.create("slack:C123:1700000000.000100") == "slack:C123:1700000000.000100"
    assert store.turns("slack:C123:1700000000.000100") == []


def test_creating_a_live_id_again_keeps_its_turns(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3", ttl_seconds=60, max_turns=10)
    cid = store.create("thread-1")
    store.append(cid, turn(1))
    store.create("thread-1")
    assert store.turns(cid) == [turn(1)]


def test_idle_conversations_expire_and_activity_extends_them(tmp_path):
    clock = Clock()
    store = ConversationStore(tmp_path / "c.sqlite3", ttl_seconds=100, max_turns=10, clock=clock)
    active, idle = store.create(), store.create()
    store.append(active, turn(1))
    store.append(idle, turn(1))
    clock.now += 60
    store.append(active, turn(2))
    clock.now += 60  # idle: 120 s since its last turn; active: 60 s

    assert store.turns(active) == [turn(1), turn(2)]
    with pytest.raises(ConversationNotFound, match="expired"):
        store.turns(idle)
    assert store.purge_expired() == 1


def test_only_the_last_turns_are_kept(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3", ttl_seconds=60, max_turns=3)
    cid = store.create()
    for n in range(1, 8):
        store.append(cid, turn(n))
    assert store.turns(cid) == [turn(5), turn(6), turn(7)]


def test_unknown_and_malformed_ids_are_clear_errors(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3", ttl_seconds=60, max_turns=10)
    with pytest.raises(ConversationNotFound, match="no conversation 'nope'"):
        store.turns("nope")
    for bad in ["", "has space", "x" * 201, "semi;colon", "slash/"]:
        with pytest.raises(InvalidConversationId):
            store.turns(bad)
        with pytest.raises(InvalidConversationId):
            store.create(bad)


def test_threads_append_to_one_conversation_without_losing_turns(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3", ttl_seconds=60, max_turns=100)
    cid = store.create()
    threads = [threading.Thread(target=lambda k=k: [store.append(cid, turn(10 * k + n)) for n in range(5)]) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(t.question for t in store.turns(cid)) == sorted(f"question {10 * k + n}?" for k in range(4) for n in range(5))
