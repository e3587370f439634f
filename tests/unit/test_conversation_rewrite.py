"""The follow-up rewriter: each way people refer back, resolved deterministically."""

from __future__ import annotations

import pytest

from rag.followup import FollowUpRewriter, Turn, find_names

TREASURY = Turn("Who is the US Treasury Secretary?", "Who is the US Treasury Secretary?", "Scott Bessent", ("doc-a", "doc-b"))
BESSENT_ON_RUSSIA = Turn(
    "What did Bessent say about Russia?",
    "What did Bessent say about Russia?",
    "we are prepared to increase pressure",
    ("doc-c",),
)
TARIFFS = Turn("Which country did Trump put tariffs on?", "Which country did Trump put tariffs on?", "India", ("doc-d",))


@pytest.fixture
def rewriter() -> FollowUpRewriter:
    return FollowUpRewriter()


@pytest.mark.parametrize(
    ("history", "question", "expected"),
    [
        # a person pronoun takes the previous answer to a "who" question
        ([TREASURY], "Which TV programme did he speak on?", "Which TV programme did Scott Bessent speak on?"),
        ([TREASURY], "where was he going?", "where was Scott Bessent going?"),
        ([TREASURY], "Where was he headed on Monday?", "Where was Scott Bessent headed on Monday?"),
        ([TREASURY], "What did his department announce?", "What did Scott Bessent's department announce?"),
        ([TREASURY], "Who appointed her?", "Who appointed Scott Bessent?"),
        # ... and otherwise the subject of the previous query, not its answer
        ([BESSENT_ON_RUSSIA], "Where did he say it?", "Where did Bessent say it?"),
        ([TARIFFS], "Why did he do it?", "Why did Trump do it?"),
        # a demonstrative or plural pronoun takes the previous name-like answer
        ([TARIFFS], "What does that country import?", "What does India import?"),
        ([TARIFFS], "How did they respond?", "How did India respond?"),
        ([TARIFFS], "What is its biggest export?", "What is India's biggest export?"),
        # ... or the object of the previous query when the answer is not a name
        ([BESSENT_ON_RUSSIA], "What does that country export?", "What does Russia export?"),
        # ellipsis: the previous query re-asked about the new subject, matched by kind
        ([TREASURY], "What about the EU?", "Who is the EU Treasury Secretary?"),
        ([BESSENT_ON_RUSSIA], "and Macron?", "What did Macron say about Russia?"),
        ([BESSENT_ON_RUSSIA], "How about Ursula von der Leyen?", "What did Ursula von der Leyen say about Russia?"),
        ([BESSENT_ON_RUSSIA], "And on Iran?", "What did Bessent say about Russia, on Iran?"),  # no "on" to swap at
        ([BESSENT_ON_RUSSIA], "what about sanctions?", "What did Bessent say about Russia, sanctions?"),
        (
            [Turn("What sanctions did the US impose on Russia?", "What sanctions did the US impose on Russia?")],
            "and on Iran?",
            "What sanctions did the US impose on Iran?",
        ),
        # the previous query is already standalone, so chains keep resolving
        (
            [TREASURY, Turn("Which TV programme did he speak on?", "Which TV programme did Scott Bessent speak on?", "Meet the Press")],
            "Where was he going?",
            "Where was Scott Bessent going?",
        ),
    ],
)
def test_follow_ups_become_standalone(rewriter, history, question, expected):
    rewrite = rewriter.rewrite(question, history)
    assert rewrite.query == expected
    assert rewrite.is_follow_up


def test_a_follow_up_made_standalone_is_searched_like_any_question(rewriter):
    """The name now in the query finds its own articles; the previous turn's are not boosted."""
    for question in ("Where was he?", "What about the EU?"):
        rewrite = rewriter.rewrite(question, [TREASURY])
        assert rewrite.is_follow_up and rewrite.query != question
        assert rewrite.boost_doc_ids == ()


def test_a_follow_up_with_nothing_to_name_boosts_the_documents_last_cited(rewriter):
    no_answer = Turn("Which TV programme did he speak on?", "Which TV programme did Scott Bessent speak on?")
    assert rewriter.rewrite("Where was that?", [TREASURY]).boost_doc_ids == ("doc-a", "doc-b")
    assert rewriter.rewrite("Where was that?", [TREASURY, no_answer]).boost_doc_ids == ("doc-a", "doc-b")


@pytest.mark.parametrize("question", ["Who represented Japan in it?", "How much did that cost Russia?", "And who was the spokeswoman?"])
def test_a_follow_up_with_nothing_to_name_keeps_the_conversation_documents(rewriter, question):
    rewrite = rewriter.rewrite(question, [TARIFFS])
    assert rewrite.query == question
    assert rewrite.is_follow_up and rewrite.boost_doc_ids == ("doc-d",)


@pytest.mark.parametrize(
    ("history", "question"),
    [
        ([], "Which TV programme did he speak on?"),  # nothing to refer back to
        ([TREASURY], "Who is the French President?"),
        ([TREASURY], "Did Macron say he would join the sanctions?"),  # "he" is Macron, in the question itself
        ([TREASURY], "Where did Ursula von der Leyen speak?"),
    ],
)
def test_standalone_questions_are_left_alone(rewriter, history, question):
    rewrite = rewriter.rewrite(question, history)
    assert rewrite.query == question
    assert not rewrite.is_follow_up
    assert rewrite.boost_doc_ids == ()


def test_names_are_runs_of_capitalised_words_and_acronyms():
    names = [n.text for n in find_names("Did NBC's host ask Ursula von der Leyen of the EU about U.S. sanctions?")]
    assert names == ["NBC", "Ursula von der Leyen", "EU", "U.S."]


def test_dates_and_phrases_are_not_taken_for_names(rewriter):
    on_sunday = Turn("When did Bessent speak?", "When did Bessent speak?", "Sunday")
    assert rewriter.rewrite("What did he say?", [on_sunday]).query == "What did Bessent say?"
    dated = Turn("When did the EU meet?", "When did the EU meet?", "8 September 2025")
    assert rewriter.rewrite("Where did they meet?", [dated]).query == "Where did the EU meet?"
