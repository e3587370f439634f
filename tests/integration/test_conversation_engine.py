"""ChatEngine over the real seed pipeline: caller-chosen ids (Slack), expiry, bounded history."""

from __future__ import annotations

import time

import pytest

from rag.conversation import ChatEngine, ConversationNotFound, ConversationStore, InvalidConversationId

TREASURY = "Who is the US Treasury Secretary?"
TV_PROGRAMME = "Which TV programme did he speak on?"


@pytest.fixture
def engine_with(seed_services, tmp_path):
    """A ChatEngine on the shared seed pipeline with its own conversation file and limits."""

    def build(ttl_seconds: float = 3600, max_turns: int = 50) -> ChatEngine:
        return ChatEngine(seed_services.pipeline, ConversationStore(tmp_path / "c.sqlite3", ttl_seconds, max_turns))

    return build


def test_a_caller_chosen_id_starts_and_continues_a_conversation(seed_services):
    thread = "slack:C123:1700000000.000100"
    first = seed_services.chat.chat(TREASURY, conversation_id=thread)
    second = seed_services.chat.chat(TV_PROGRAMME, conversation_id=thread)
    assert first.conversation_id == second.conversation_id == thread
    assert "Bessent" in first.answer
    assert "Bessent" in second.query
    assert [t.question for t in seed_services.chat.store.turns(thread)] == [TREASURY, TV_PROGRAMME]


def test_unknown_ids_are_refused_when_creating_is_off(engine_with):
    engine = engine_with()
    with pytest.raises(ConversationNotFound):
        engine.chat(TREASURY, conversation_id="never-started", create_missing=False)
    with pytest.raises(InvalidConversationId):
        engine.chat(TREASURY, conversation_id="no spaces allowed")
    with pytest.raises(ValueError, match="empty"):
        engine.chat("   ")


def test_an_expired_conversation_is_gone(engine_with):
    engine = engine_with(ttl_seconds=1)
    first = engine.chat(TREASURY)
    time.sleep(1.5)
    with pytest.raises(ConversationNotFound, match="expired"):
        engine.chat(TV_PROGRAMME, conversation_id=first.conversation_id, create_missing=False)
    restarted = engine.chat(TV_PROGRAMME, conversation_id=first.conversation_id)
    assert restarted.query == TV_PROGRAMME  # a fresh conversation: nothing to resolve "he" against


def test_only_the_last_turns_are_remembered(engine_with):
    engine = engine_with(max_turns=2)
    cid = engine.chat(TREASURY).conversation_id
    engine.chat(TV_PROGRAMME, conversation_id=cid)
    engine.chat("Who is the French President?", conversation_id=cid)
    assert [t.question for t in engine.store.turns(cid)] == [TV_PROGRAMME, "Who is the French President?"]


def test_replayed_history_resolves_follow_ups_like_stored_history(engine_with):
    engine = engine_with()
    stored = engine.chat(TREASURY)
    history = engine.replay([(TREASURY, stored.answer)])
    replayed = engine.answer(TV_PROGRAMME, history)
    assert replayed.query == engine.chat(TV_PROGRAMME, conversation_id=stored.conversation_id).query
    assert "Bessent" in replayed.query


def test_an_answer_settled_early_still_hands_its_articles_to_the_follow_up(seed_services):
    """Staged reading cites only the passages read; the conversation keeps, for a follow-up's
    boost, every retrieved article that states the answer, read or not."""
    from rag.answer import AnswerPipeline
    from rag.followup import Turn

    plain = seed_services.pipeline
    options = {**seed_services.pipeline_options(), "top_k": 5, "first_pass": 1, "stop_confidence": 0.0}
    early = AnswerPipeline(plain.retriever, plain.reader, **options)
    answer = early.ask(TREASURY)
    assert answer.passages_read == 1 and "Bessent" in answer.answer
    stating = {p.doc_id for p in answer.passages if answer.answer in p.text}
    cited = {c.doc_id for c in answer.citations}
    assert stating - cited, "the seed corpus names Bessent in more articles than the first passage's"
    boosted = Turn.from_answer(answer).cited_doc_ids
    assert set(boosted) == cited | stating
    assert boosted[: len(cited)] == tuple(dict.fromkeys(c.doc_id for c in answer.citations))
