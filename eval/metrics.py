"""Scoring: what "right" means for one question, and the summary over a test set.

Answer correctness uses the official SQuAD functions in rag.reader.squad (the reader's
training and calibration use the same ones), so there is one definition of "correct" in
the project. What this module adds is what SQuAD v1.1 does not have: unanswerable
questions, where the only right reply is no answer, and retrieval ranks over documents.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rag.reader.squad import best_over_golds, exact_match, f1_score, plain_punctuation


def answer_scores(predicted: str | None, golds: Sequence[str]) -> tuple[float, float]:
    """(EM, F1) of one reply, max over the gold answers.

    No gold answers means the question is not answerable from the corpus: abstaining
    scores 1 on both, any answer scores 0 (the SQuAD 2.0 convention). Abstaining on an
    answerable question scores 0: saying nothing is never partially right.
    """
    if not golds:
        return (1.0, 1.0) if predicted is None else (0.0, 0.0)
    if predicted is None:
        return 0.0, 0.0
    # news is set with curly quotes: "“Harbour Lights”" and "Harbour Lights" are one answer
    predicted, golds = plain_punctuation(predicted), [plain_punctuation(g) for g in golds]
    return best_over_golds(exact_match, predicted, golds), best_over_golds(f1_score, predicted, golds)


def first_relevant_rank(retrieved_doc_ids: Sequence[str], relevant: Iterable[str]) -> int | None:
    """1-based rank of the first retrieved passage that belongs to a relevant document.

    Ranks count passages (several may come from one article), because passages are what
    the reader reads and what `top_k` limits; None when no relevant document was retrieved.
    """
    wanted = set(relevant)
    return next((rank for rank, doc_id in enumerate(retrieved_doc_ids, start=1) if doc_id in wanted), None)


def recall_at_k(ranks: Sequence[int | None], k: int) -> float | None:
    """Share of questions with a relevant document among the first k passages.

    `ranks` holds one entry per question that has gold documents (None: not retrieved);
    questions without gold documents must be left out by the caller, not counted as misses.
    """
    if not ranks:
        return None
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def mean_reciprocal_rank(ranks: Sequence[int | None]) -> float | None:
    """Mean of 1/rank of the first relevant passage (0 when none was retrieved)."""
    if not ranks:
        return None
    return sum(1.0 / r for r in ranks if r is not None) / len(ranks)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default), without importing numpy here."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


@dataclass(frozen=True)
class QuestionResult:
    """One scored question: what the report shows per row."""

    id: str
    question: str
    golds: tuple[str, ...]
    gold_doc_ids: tuple[str, ...]
    predicted: str | None
    confidence: float
    exact_match: float
    f1: float
    gold_rank: int | None  # rank of the first passage from a gold document
    retrieved_doc_ids: tuple[str, ...]
    latency_ms: float
    conversation_id: str | None = None
    turn: int | None = None
    band: str | None = None  # the reply's confidence_band: answer, possible or none

    @property
    def answerable(self) -> bool:
        return bool(self.golds)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


BANDS = ("answer", "possible")


def _band_share(results: Sequence[QuestionResult], band: str) -> dict[str, float | int | None]:
    """How many replies came in `band` and the share of them right; None where no reply says its band."""
    given = [r for r in results if r.band == band and r.predicted is not None]
    return {"n": len(given), "exact_match": _mean([r.exact_match for r in given])}


def summarize(results: Sequence[QuestionResult]) -> dict[str, float | int | None]:
    """The headline numbers. A metric with nothing to measure (no unanswerable questions,
    no gold doc_ids) is None rather than 0 or 1, so a report never claims what it did not test."""
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    ranks = [r.gold_rank for r in results if r.gold_doc_ids]
    latencies = [r.latency_ms for r in results]
    summary = {
        "n": len(results),
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
        "n_with_doc_ids": len(ranks),
        "exact_match": _mean([r.exact_match for r in results]),
        "f1": _mean([r.f1 for r in results]),
        "answerable_exact_match": _mean([r.exact_match for r in answerable]),
        "answerable_f1": _mean([r.f1 for r in answerable]),
        # how often the system stayed silent on a question it should have answered
        "answerable_abstain_rate": _mean([float(r.predicted is None) for r in answerable]),
        "no_answer_accuracy": _mean([r.exact_match for r in unanswerable]),
        "recall_at_1": recall_at_k(ranks, 1),
        "recall_at_3": recall_at_k(ranks, 3),
        "recall_at_5": recall_at_k(ranks, 5),
        "mrr": mean_reciprocal_rank(ranks),
        # what a band promises: the share of its replies that are right (EM; a reply to an
        # unanswerable question is wrong), so "answer" can be checked against "more likely right
        # than wrong" and "possible" against the no-answer threshold below it
        **{f"{band}_band_{k}": v for band in BANDS for k, v in _band_share(results, band).items()},
        "latency_ms_mean": _mean(latencies),
        "latency_ms_p50": percentile(latencies, 50),
        "latency_ms_p95": percentile(latencies, 95),
    }
    return {k: v if isinstance(v, int) else _rounded(v, 1 if k.startswith("latency") else 4) for k, v in summary.items()}
