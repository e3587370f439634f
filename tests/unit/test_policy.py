"""The answer policy on hand-made candidates: no model, no index."""

from __future__ import annotations

import datetime as dt

import pytest

from rag.answer_text import band_label
from rag.policy import AnswerPolicy, Candidate, merge, same_answer
from rag.reader.model import Calibration, SpanPrediction
from rag.shapes import Shape
from rag.types import Band, Passage

POLICY = AnswerPolicy(threshold=0.2, answer_edge=0.5, hint_floor=0.1, tie_margin=0.5)


def candidate(text: str, confidence: float, doc: str = "a", date: dt.date | None = None, role: str = "mayor") -> Candidate:
    """`text` read from the sentence "x TEXT is the ROLE.": the role is what newer evidence must repeat to replace it."""
    passage = Passage(
        chunk_id=1, doc_id=doc, title=doc, date=date, source=None, start=0, end=100, text=f"x {text} is the {role}.", score=1.0
    )
    return Candidate(passage, SpanPrediction(2, 2 + len(text), text, 1.0, 0.0), confidence)


@pytest.mark.parametrize(
    ("confidence", "band"),
    [(0.95, Band.ANSWER), (0.5, Band.ANSWER), (0.49, Band.POSSIBLE), (0.2, Band.POSSIBLE), (0.19, Band.NONE), (0.0, Band.NONE)],
)
def test_bands_follow_the_threshold_and_the_answer_edge(confidence, band):
    assert POLICY.band(confidence) is band


def test_every_band_has_one_label():
    assert [band_label(b) for b in Band] == ["Answer", "Possible answer (low confidence)", "Not found"]
    assert band_label("possible") == band_label(Band.POSSIBLE)


def test_from_calibration_takes_the_fitted_threshold_and_keeps_the_edges_in_order():
    policy = AnswerPolicy.from_calibration(Calibration(threshold=0.3), answer_edge=0.5, hint_floor=0.1)
    assert (policy.threshold, policy.answer_edge, policy.hint_floor) == (0.3, 0.5, 0.1)
    assert AnswerPolicy.from_calibration(Calibration(threshold=0.7), answer_edge=0.5).answer_edge == 0.7
    assert AnswerPolicy.from_calibration(Calibration(threshold=0.3), threshold=0.4).threshold == 0.4


def test_agreeing_spans_across_articles_are_one_answer_cited_by_each():
    groups = merge([candidate("Emmanuel Macron", 0.9, "a"), candidate("Macron", 0.7, "b"), candidate("Olaf Scholz", 0.4, "c")], "Who?")
    assert [len(g.members) for g in groups] == [2, 1]
    assert groups[0].best.span.text == "Emmanuel Macron"
    assert not same_answer("macron", "macrons")


def test_one_answer_in_curly_and_straight_quotes_is_one_answer():
    groups = merge([candidate("“Gullwing”", 0.6, "a"), candidate('"Gullwing"', 0.5, "b"), candidate("Gullwing", 0.4, "c")], "Which film?")
    assert [len(g.members) for g in groups] == [3]


def test_spans_made_of_the_questions_own_words_are_dropped():
    assert merge([candidate("French President", 0.9), candidate("", 0.9)], "Who is the French President?") == []


def test_below_the_threshold_nothing_is_said_and_the_hint_needs_the_floor():
    unsure = POLICY.decide(merge([candidate("Paris", 0.15)], "Where?"))
    assert unsure.band is Band.NONE and unsure.chosen is None
    assert unsure.hint is not None and unsure.hint.span.text == "Paris"
    assert unsure.confidence == pytest.approx(0.85)
    noise = POLICY.decide(merge([candidate("Paris", 0.02)], "Where?"))
    assert noise.band is Band.NONE and noise.hint is None
    assert POLICY.decide([]).band is Band.NONE


def test_a_low_confidence_answer_is_possible_not_an_answer():
    decision = POLICY.decide(merge([candidate("sovereign assets", 0.25)], "What was frozen?"))
    assert decision.band is Band.POSSIBLE and decision.chosen is not None and decision.hint is None


def test_an_amount_question_is_not_answered_without_a_number():
    question = "How much are the frozen assets worth?"
    assert POLICY.decide(merge([candidate("sovereign assets", 0.9)], question)).band is Band.NONE
    assert POLICY.decide(merge([candidate("300 billion euros", 0.9)], question)).band is Band.ANSWER
    assert POLICY.decide(merge([candidate("under two hours", 0.9)], "How long did it last?")).band is Band.ANSWER


def test_a_future_when_question_is_not_answered_by_a_year_before_its_report():
    question = "When will the museum reopen?"
    report = dt.date(2025, 5, 20)
    opened = candidate("1998", 0.91, date=report)
    assert POLICY.decide(merge([opened], question)).band is Band.NONE
    # a later year, or a time the report does not place in a year, may be the answer
    for text in ("2027", "in 2025", "in June", "next spring"):
        assert POLICY.decide(merge([candidate(text, 0.9, date=report)], question)).band is Band.ANSWER
    # an undated report cannot be placed; a question about the past takes past years
    assert POLICY.decide(merge([candidate("1998", 0.9)], question)).band is Band.ANSWER
    assert POLICY.decide(merge([opened], "When did the museum open?")).band is Band.ANSWER
    # the year-old span is dropped, not the answer: a later one from another passage still wins
    decision = POLICY.decide(merge([opened, candidate("2027", 0.6, "b", report)], question))
    assert decision.chosen is not None and decision.chosen.best.span.text == "2027"


def test_a_near_tie_goes_to_the_newer_article():
    old = candidate("John Smith", 0.62, "old", dt.date(2019, 5, 1))
    new = candidate("Jane Doe", 0.60, "new", dt.date(2024, 5, 1))
    decision = POLICY.decide(merge([old, new], "Who is the mayor?"), question="Who is the mayor?")
    assert decision.chosen is not None and decision.chosen.best.span.text == "Jane Doe"
    assert [g.best.span.text for g in decision.earlier] == ["John Smith"]


def test_a_clear_winner_is_not_a_tie_but_newer_confident_evidence_still_replaces_it():
    sure_old = candidate("John Smith", 0.99, "old", dt.date(2019, 5, 1))
    unsure_new = candidate("Jane Doe", 0.95, "new", dt.date(2024, 5, 1))
    groups = merge([sure_old, unsure_new], "Who is the mayor?")
    assert POLICY.choose(groups, "Who is the mayor?").best.span.text == "John Smith"
    assert POLICY.prefer_newer(POLICY.choose(groups), groups, "Who is the mayor?").best.span.text == "Jane Doe"


def test_a_newer_answer_about_another_role_replaces_nothing():
    harbourmaster = candidate("John Smith", 0.62, "old", dt.date(2019, 5, 1), role="harbourmaster")
    chief = candidate("Jane Doe", 0.60, "new", dt.date(2024, 5, 1), role="port authority chief")
    decision = POLICY.decide(merge([harbourmaster, chief], "Who is the harbourmaster?"), question="Who is the harbourmaster?")
    assert decision.chosen is not None and decision.chosen.best.span.text == "John Smith"
    assert decision.earlier == []


def test_a_question_about_a_named_period_keeps_that_periods_answer():
    old = candidate("John Smith", 0.9, "old", dt.date(2019, 5, 1))
    new = candidate("Jane Doe", 0.85, "new", dt.date(2024, 5, 1))
    question = "Who was the mayor in 2019?"
    groups = merge([old, new], question)
    assert POLICY.decide(groups, question=question, about_now=False).chosen.best.span.text == "John Smith"
    assert POLICY.decide(groups, question=question).chosen.best.span.text == "Jane Doe"


def test_undated_evidence_neither_displaces_nor_is_displaced():
    undated = candidate("John Smith", 0.99, "old")
    dated = candidate("Jane Doe", 0.9, "new", dt.date(2024, 5, 1))
    groups = merge([undated, dated], "Who is the mayor?")
    assert POLICY.decide(groups, question="Who is the mayor?").chosen.best.span.text == "John Smith"
    assert POLICY.decide(groups, question="Who is the mayor?").earlier == []


def test_newer_evidence_below_the_threshold_does_not_replace_an_answer():
    old = candidate("John Smith", 0.9, "old", dt.date(2019, 5, 1))
    weak_new = candidate("Jane Doe", 0.1, "new", dt.date(2024, 5, 1))
    assert POLICY.decide(merge([old, weak_new], "Who is the mayor?"), question="Who is the mayor?").chosen.best.span.text == "John Smith"


def spans_in(text: str, spans: list[tuple[str, float]], doc: str = "a", date: dt.date | None = None) -> list[Candidate]:
    passage = Passage(chunk_id=1, doc_id=doc, title=doc, date=date, source=None, start=0, end=len(text), text=text, score=1.0)
    return [Candidate(passage, SpanPrediction(text.index(s), text.index(s) + len(s), s, 1.0, 0.0), confidence) for s, confidence in spans]


def test_a_list_question_collects_each_item_of_the_likely_answers():
    text = "The call brought together France's Ana Lys, Chile's Tomas Vera and Japan's Ken Sato. Observers came from Peru."
    spans = [("France's Ana Lys", 0.7), ("Peru", 0.55), ("Observers", 0.3)]
    groups = merge(spans_in(text, spans), "Which countries joined?")
    decision = POLICY.decide(groups, Shape.LIST, "Which countries joined?")
    assert [i.span.text for i in decision.items] == ["France's Ana Lys", "Chile's Tomas Vera", "Japan's Ken Sato", "Peru"]
    assert all(text[i.span.start : i.span.end] == i.span.text for i in decision.items)
    assert decision.band is Band.ANSWER
    far_below = merge(spans_in(text, [("France's Ana Lys", 0.95), ("Peru", 0.55)]), "Which countries joined?")
    assert "Peru" not in [i.span.text for i in POLICY.decide(far_below, Shape.LIST, "Which countries joined?").items]


def test_a_list_is_dated_and_scored_by_the_answer_that_gives_its_items():
    """A surer span that names no one ("US allies") is not the list's source: the reply's date and
    confidence are those of the report that names the items."""
    allies = spans_in("After a call with key US allies, pressure grew.", [("US allies", 0.56)], "a", dt.date(2022, 1, 4))
    names = "The call brought together France's Ana Lys and Chile's Tomas Vera."
    leaders = spans_in(names, [("France's Ana Lys", 0.55)], "b", dt.date(2022, 1, 5))
    decision = POLICY.decide(merge(allies + leaders, "Which leaders joined?"), Shape.LIST, "Which leaders joined?")
    assert [i.span.text for i in decision.items] == ["France's Ana Lys", "Chile's Tomas Vera"]
    assert decision.chosen is not None and decision.chosen.date == dt.date(2022, 1, 5)
    assert decision.confidence == 0.55


def test_yes_no_and_why_questions_state_the_sentence_that_holds_the_span():
    text = "The mayor spoke on Monday. She resigned because the budget failed. The vote is in May."
    for shape in (Shape.YES_NO, Shape.REASON):
        decision = POLICY.decide(merge(spans_in(text, [("the budget failed", 0.8)]), "Why?"), shape, "Why did she resign?")
        assert decision.chosen is not None and decision.chosen.best.span.text == "She resigned because the budget failed."
    fact = POLICY.decide(merge(spans_in(text, [("the budget failed", 0.8)]), "What?"), Shape.FACT, "What failed?")
    assert fact.chosen is not None and fact.chosen.best.span.text == "the budget failed"
