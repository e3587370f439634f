"""Metric functions against known SQuAD v1.1 dev examples and hand-computed retrieval ranks."""

from __future__ import annotations

import numpy as np
import pytest

from eval.metrics import (
    QuestionResult,
    answer_scores,
    first_relevant_rank,
    mean_reciprocal_rank,
    percentile,
    recall_at_k,
    summarize,
)

# SQuAD v1.1 dev, "Super Bowl 50": "Where did Super Bowl 50 take place?"
SANTA_CLARA_GOLDS = (
    "Santa Clara, California",
    "Levi's Stadium",
    "Levi's Stadium in the San Francisco Bay Area at Santa Clara, California.",
)


def test_normalisation_drops_case_punctuation_and_articles():
    assert answer_scores("The Denver Broncos!", ["Denver Broncos"]) == (1.0, 1.0)
    assert answer_scores("levi's stadium", SANTA_CLARA_GOLDS)[0] == 1.0
    assert answer_scores("  an   apple ", ["Apple"]) == (1.0, 1.0)


def test_typographic_punctuation_counts_as_the_ascii_it_stands_for():
    """News is set with curly quotes: a gold "“Harbour Lights”" is the passage's "Harbour Lights"."""
    assert answer_scores("Harbour Lights", ["“Harbour Lights”"]) == (1.0, 1.0)
    assert answer_scores("Levi’s Stadium", SANTA_CLARA_GOLDS)[0] == 1.0
    assert answer_scores("Australia’s outback", ["Australia"])[0] == 0.0  # a possessive is still another word


def test_f1_partial_overlap_is_token_level():
    em, f1 = answer_scores("Denver Broncos team", ["Denver Broncos"])
    assert em == 0.0
    assert f1 == pytest.approx(0.8)  # precision 2/3, recall 1


def test_scores_are_the_maximum_over_golds():
    # against "Santa Clara, California": precision 1, recall 2/3 -> 0.8; against the long gold 4/13
    em, f1 = answer_scores("Santa Clara", SANTA_CLARA_GOLDS)
    assert em == 0.0
    assert f1 == pytest.approx(0.8)


def test_no_overlap_scores_zero():
    # "What color was used to emphasize the 50th anniversary of the Super Bowl?" gold: "gold"
    assert answer_scores("golden anniversary", ["gold", "gold", "gold"]) == (0.0, 0.0)


def test_unanswerable_questions_score_only_abstention():
    assert answer_scores(None, []) == (1.0, 1.0)
    assert answer_scores("Denver Broncos", []) == (0.0, 0.0)
    assert answer_scores(None, ["Denver Broncos"]) == (0.0, 0.0)


def test_first_relevant_rank_counts_passages():
    assert first_relevant_rank(["a", "b", "a", "c"], ["c", "z"]) == 4
    assert first_relevant_rank(["a", "b"], ["b", "a"]) == 1
    assert first_relevant_rank(["a", "b"], ["z"]) is None


def test_recall_at_k_and_mrr():
    ranks = [1, 3, None, 2]
    assert recall_at_k(ranks, 1) == 0.25
    assert recall_at_k(ranks, 3) == 0.75
    assert recall_at_k(ranks, 5) == 0.75
    assert mean_reciprocal_rank(ranks) == pytest.approx((1 + 1 / 3 + 0 + 1 / 2) / 4)
    assert recall_at_k([], 5) is None and mean_reciprocal_rank([]) is None


def test_percentile_matches_numpy():
    values = [12.0, 3.0, 7.5, 100.0, 42.0, 8.0]
    for q in (0, 50, 95, 100):
        assert percentile(values, q) == pytest.approx(np.percentile(values, q))
    assert percentile([], 50) is None


def _result(
    id_: str, golds: tuple[str, ...], predicted: str | None, doc_ids=(), retrieved=(), ms=10.0, band: str | None = None
) -> QuestionResult:
    em, f1 = answer_scores(predicted, golds)
    return QuestionResult(
        id=id_,
        question="?",
        golds=golds,
        gold_doc_ids=tuple(doc_ids),
        predicted=predicted,
        confidence=0.5,
        exact_match=em,
        f1=f1,
        gold_rank=first_relevant_rank(retrieved, doc_ids),
        retrieved_doc_ids=tuple(retrieved),
        latency_ms=ms,
        band=band,
    )


def _approx(value: float):
    return pytest.approx(value, abs=1e-4)  # summaries are rounded to 4 places


def test_summary_separates_answerable_and_unanswerable():
    results = [
        _result("a", ("Denver Broncos",), "Denver Broncos", ["d1"], ["d1", "d2"], ms=10),
        _result("b", ("Denver Broncos",), "Broncos team", ["d1"], ["d2", "d1"], ms=20),
        _result("c", ("Carolina Panthers",), None, ["d3"], ["d2", "d2"], ms=30),
        _result("d", (), None, ms=40),
        _result("e", (), "Panthers", ms=50),
    ]
    s = summarize(results)
    assert (s["n"], s["n_answerable"], s["n_unanswerable"], s["n_with_doc_ids"]) == (5, 3, 2, 3)
    assert s["exact_match"] == _approx(2 / 5)  # a and d
    assert s["answerable_exact_match"] == _approx(1 / 3)
    assert s["answerable_f1"] == _approx((1 + 0.5 + 0) / 3)  # "Broncos team": P = R = 1/2
    assert s["no_answer_accuracy"] == 0.5
    assert s["answerable_abstain_rate"] == _approx(1 / 3)
    assert (s["recall_at_1"], s["recall_at_3"], s["recall_at_5"]) == (_approx(1 / 3), _approx(2 / 3), _approx(2 / 3))
    assert s["mrr"] == _approx((1 + 0.5 + 0) / 3)
    assert s["latency_ms_p50"] == 30.0


def test_summary_says_none_for_what_it_did_not_measure():
    s = summarize([_result("a", ("x",), "x")])
    assert s["no_answer_accuracy"] is None
    assert s["recall_at_1"] is None and s["mrr"] is None
    assert s["exact_match"] == 1.0


def test_summary_gives_the_share_right_in_each_band():
    results = [
        _result("a", ("Denver Broncos",), "Denver Broncos", band="answer"),
        _result("b", ("Denver Broncos",), "Broncos team", band="answer"),  # partly right is not right
        _result("c", (), "Panthers", band="answer"),  # an answer where there is none is wrong
        _result("d", ("Carolina Panthers",), "Carolina Panthers", band="possible"),
        _result("e", ("x",), None, band="none"),
    ]
    s = summarize(results)
    assert (s["answer_band_n"], s["answer_band_exact_match"]) == (3, _approx(1 / 3))
    assert (s["possible_band_n"], s["possible_band_exact_match"]) == (1, 1.0)
    unbanded = summarize([_result("a", ("x",), "x")])  # rows from before bands say nothing
    assert (unbanded["answer_band_n"], unbanded["answer_band_exact_match"]) == (0, None)
