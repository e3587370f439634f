"""Calibration: from the reader's span-vs-null margin to P(the answer is right), and the threshold below
which the product says "not found".

A confidence is only worth showing if it means the same thing on the text users ask about. Fitted on
Wikipedia alone, the mpnet reader declined answerable news questions and answered 69 % of questions
whose answer had been cut out; so the fit takes any mix of answerable and unanswerable pairs, and
`rag calibrate-reader` feeds it SQuAD train questions plus the calibration half of the MultiHop-RAG
news set (`eval/news_set.py`). Never an evaluation set.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from index.sentences import sentence_spans
from rag.reader.model import CALIBRATION_FILE, Calibration, Reader
from rag.reader.squad import SquadQuestion, best_over_golds, f1_score

log = logging.getLogger(__name__)


def without_answer(q: SquadQuestion) -> str | None:
    """The question's own paragraph minus every sentence that holds any of its answers:
    the same topic and wording, but nothing to extract. None when too little is left."""
    kept = [
        q.context[s:e]
        for s, e in sentence_spans(q.context)
        if not (s <= q.answer_start < e) and not any(a in q.context[s:e] for a in q.answers)
    ]
    return " ".join(kept) if len(kept) >= 2 else None


def with_negatives(questions: list[SquadQuestion], n: int, rng: random.Random, cut_out: bool = False) -> list[SquadQuestion]:
    """`n` random questions read against their own paragraph, and each again against another
    article's paragraph as an unanswerable pair (answers empty). With `cut_out`, each also against its
    own paragraph with the answer's sentences removed: what retrieval hands the reader when the corpus
    does not say, same topic and words, no answer (for the MiniLM reader such negatives fit a threshold
    that declined 29 % of answerable SQuAD questions, eval/README.md)."""
    answerable = [q for q in questions if q.answers]
    sample = rng.sample(answerable, min(n, len(answerable)))
    pool = answerable[:: max(1, len(answerable) // 500)]
    negatives = [
        replace(q, id=q.id + "-neg", context=rng.choice([o for o in pool if o.title != q.title]).context, answers=(), answer_start=-1)
        for q in sample
    ]
    if cut_out:
        negatives += [
            replace(q, id=q.id + "-cut", context=context, answers=(), answer_start=-1)
            for q in sample
            if (context := without_answer(q)) is not None
        ]
    return sample + negatives


@dataclass(frozen=True)
class Scored:
    """One calibration pair as the reader saw it."""

    margin: float
    answerable: bool
    f1: float  # of the best span (0 for an unanswerable pair)


def score_pairs(reader: Reader, items: list[SquadQuestion]) -> list[Scored]:
    predictions = reader.predict([(q.question, q.context) for q in items])
    return [
        Scored(p.margin, bool(q.answers), best_over_golds(f1_score, p.text, q.answers) if q.answers else 0.0)
        for p, q in zip(predictions, items)
    ]


def right_labels(answerable: np.ndarray, f1s: np.ndarray) -> np.ndarray:
    """What the confidence estimates, per pair: 1 for an answerable pair whose span has F1 >= 0.5, else 0."""
    return (answerable & (f1s >= 0.5)).astype(np.float64)


def squad2_credit(answered: np.ndarray, answerable: np.ndarray, f1s: np.ndarray) -> np.ndarray:
    """Each pair's SQuAD 2.0 credit: its span's F1 when an answerable pair is answered, 1 when an
    unanswerable pair is declined, 0 otherwise."""
    return np.where(answerable, np.where(answered, f1s, 0.0), np.where(answered, 0.0, 1.0))


def fit(scored: list[Scored]) -> Calibration:
    """P(correct) = sigmoid(a * margin + b) by logistic regression (label: an answerable pair whose
    span has F1 >= 0.5), and the threshold that maximises the SQuAD 2.0 score over the pairs: F1 when
    answering an answerable pair, 1 for declining an unanswerable one."""
    margins = np.array([s.margin for s in scored], dtype=np.float64)
    f1s = np.array([s.f1 for s in scored])
    answerable = np.array([s.answerable for s in scored])
    labels = right_labels(answerable, f1s)
    # 1-D logistic regression by Newton's method: small, exact, no extra dependency
    w = np.zeros(2)
    x = np.stack([margins, np.ones_like(margins)], axis=1)
    for _ in range(50):
        p = 1 / (1 + np.exp(-x @ w))
        grad = x.T @ (p - labels)
        hess = (x * (p * (1 - p))[:, None]).T @ x + 1e-6 * np.eye(2)
        w -= np.linalg.solve(hess, grad)
    conf = 1 / (1 + np.exp(-x @ w))
    best_t, best_score = 0.5, -1.0
    for t in np.unique(np.round(conf, 3)):
        score = squad2_credit(conf >= t, answerable, f1s).mean()
        if score > best_score:
            best_t, best_score = float(t), float(score)
    log.info("calibration: slope %.3f intercept %.3f threshold %.3f (score %.3f)", w[0], w[1], best_t, best_score)
    return Calibration(slope=float(w[0]), intercept=float(w[1]), threshold=best_t)


def fit_calibration(reader: Reader, items: list[SquadQuestion]) -> Calibration:
    return fit(score_pairs(reader, items))


def tradeoff(calibration: Calibration, scored: list[Scored], thresholds: np.ndarray) -> list[dict]:
    """For each threshold: the share of answerable pairs declined and of unanswerable pairs declined."""
    conf = np.array([calibration.confidence(s.margin) for s in scored])
    answerable = np.array([s.answerable for s in scored])
    rows = []
    for t in thresholds:
        declined = conf < t
        rows.append(
            {
                "threshold": round(float(t), 3),
                "answerable_declined": round(100 * float(declined[answerable].mean()), 2),
                "unanswerable_declined": round(100 * float(declined[~answerable].mean()), 2),
            }
        )
    return rows


def unanswerable_declined_at(scored: list[Scored], answerable_declined: float = 0.10) -> float | None:
    """The share (%) of unanswerable pairs declined by the threshold that declines at most `answerable_declined`
    of the answerable ones. One point of the trade-off curve, read off the margins: it does not depend on a
    calibration, so two readers' null options compare before either is calibrated (issue 21's target is
    70 % at 10 %). None when the pairs are all of one kind."""
    margins = np.array([s.margin for s in scored])
    answerable = np.array([s.answerable for s in scored], dtype=bool)
    if answerable.all() or not answerable.any():
        return None
    ordered = np.sort(margins[answerable])
    cut = ordered[int(answerable_declined * len(ordered))]  # fewer than that many answerable margins lie below it
    return round(100 * float((margins[~answerable] < cut).mean()), 2)


def write_calibration(model_dir: Path, calibration: Calibration) -> Path:
    path = model_dir / CALIBRATION_FILE
    path.write_text(json.dumps(asdict(calibration), indent=2) + "\n")
    return path
