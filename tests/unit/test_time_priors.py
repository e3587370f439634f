"""Time as a prior (rag/timeprior.py) and when a newer answer replaces an older one
(rag/supersede.py): pure functions, no model."""

from __future__ import annotations

import datetime as dt

import pytest

from rag.supersede import Claim, subject_words, supersedes
from rag.timeprior import TimePrior
from rag.timewords import period_in

AS_OF = dt.date(2026, 6, 1)
PRIOR = TimePrior(recency_weight=1.0, half_life_days=30, period_weight=1.0, period_grace_days=31)


def test_recency_halves_every_half_life_and_undated_gets_nothing():
    bonus = PRIOR.bonus(AS_OF, None)
    assert bonus(AS_OF) == pytest.approx(1.0)
    assert bonus(AS_OF - dt.timedelta(days=30)) == pytest.approx(0.5)
    assert bonus(AS_OF - dt.timedelta(days=60)) == pytest.approx(0.25)
    assert bonus(None) == 0.0


def test_a_named_year_prefers_its_own_reports_over_newer_ones():
    bonus = PRIOR.bonus(AS_OF, period_in("Who won the 2022 finals?", AS_OF))
    in_2022, just_after, in_2025 = dt.date(2022, 6, 20), dt.date(2023, 1, 15), dt.date(2025, 6, 20)
    assert bonus(in_2022) > 1.0, "in the period: the period bonus and some recency toward its end"
    assert bonus(just_after) > 1.0, "a report just after the period still counts as about it"
    assert bonus(in_2025) < 0.01, "three years later is neither in the period nor near it"
    assert bonus(in_2022) > bonus(in_2025)


def test_ranges_and_windows_do_not_move_the_reference_day():
    """They are filters already (rag/answer.py): the prior only ranks within them by recency."""
    for question in ("What happened last week?", "What did the EU agree this week?"):
        assert PRIOR.bonus(AS_OF, period_in(question, AS_OF))(AS_OF) == pytest.approx(1.0)


def test_no_prior_is_no_bonus():
    assert TimePrior().bonus(AS_OF, None)(AS_OF) == 0.0


COUNCIL = "Who is the President of the European Council?"
MICHEL = Claim("Charles Michel", "NATO's Jens Stoltenberg and EU Council President Charles Michel also took part.", dt.date(2022, 1, 1))
COSTA = Claim("António Costa", "European Council President António Costa said at a press conference.", dt.date(2025, 9, 1))
HARBOUR = "Who is the harbourmaster of Port Ellery?"
HARBOURMASTER = Claim("Mara Quint", "Mara Quint, the harbourmaster of Port Ellery, closed the quay.", dt.date(2024, 3, 1))
CHIEF = Claim("Jon Brask", "Jon Brask, chief of the Port Ellery port authority, opened the terminal.", dt.date(2025, 5, 1))


def test_a_newer_holder_of_the_same_role_replaces_the_older():
    assert supersedes(COUNCIL, COSTA, MICHEL)
    assert not supersedes(COUNCIL, MICHEL, COSTA), "never the other way round"


def test_two_roles_stay_apart_however_new():
    assert "harbourmaster" in subject_words(HARBOUR, HARBOURMASTER)
    assert "harbourmaster" not in subject_words(HARBOUR, CHIEF)
    assert not supersedes(HARBOUR, CHIEF, HARBOURMASTER)


def test_undated_claims_cannot_be_placed_in_time():
    undated = Claim(COSTA.answer, COSTA.sentence, None)
    assert not supersedes(COUNCIL, undated, MICHEL)
    assert not supersedes(COUNCIL, COSTA, Claim(MICHEL.answer, MICHEL.sentence, None))


def test_a_claim_whose_sentence_repeats_nothing_of_the_question_is_replaced_by_nothing():
    vague = Claim("Charles Michel", "Charles Michel also took part.", dt.date(2022, 1, 1))
    assert not supersedes(COUNCIL, COSTA, vague)
