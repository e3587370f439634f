"""`rag eval-reader`: EM/F1 of a reader on any SQuAD-layout file, each question read against its own paragraph.

This is how readers are compared with published ones (the official SQuAD v1.1 normalisation,
maximum over the gold answers), and the reader is built exactly as the product builds it
(`Services.reader`: same dtype, window length and quantisation settings), so a score here is the
score of what users get. Questions with no gold answer (the news set's unanswerable pairs) count
as right only when the calibrated reader declines them, as in SQuAD 2.0.

    rag eval-reader ../shared/datasets/squad-v1.1-dev.json.zip --json
    rag eval-reader ../shared/datasets/squadshifts-reddit.json.gz --limit 1000 --seed 13
    rag eval-reader ../shared/datasets/squad-v1.1-dev.json.zip --first-articles 10   # the trainer's held-out articles
    rag eval-reader ../shared/datasets/squad-v2.0-dev-rebuilt.json.gz --skip-articles 17   # SQuAD 2.0's evaluation half
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from tqdm import tqdm

from rag.reader.calibrate import Scored, unanswerable_declined_at
from rag.reader.model import Reader
from rag.reader.squad import SquadQuestion, best_over_golds, exact_match, f1_score, split_by_article

BATCH_QUESTIONS = 64  # questions per predict call: big enough to batch windows, small enough for a progress bar


@dataclass(frozen=True)
class Selection:
    """Which questions of a file to score. A sample is seeded, so a figure can be reproduced."""

    limit: int | None = None
    seed: int = 13
    first_articles: int | None = None  # the alphabetically first N titles (the trainer's held-out split)
    exclude_articles: tuple[str, ...] = ()
    # all but the alphabetically first N titles: the rebuilt SQuAD 2.0 dev fits on its first 17 and reports on the rest
    skip_articles: int | None = None

    def apply(self, questions: list[SquadQuestion]) -> list[SquadQuestion]:
        if self.first_articles:
            _, questions = split_by_article(questions, self.first_articles)
        if self.skip_articles:
            questions, _ = split_by_article(questions, self.skip_articles)
        if self.exclude_articles:
            questions = [q for q in questions if q.title not in self.exclude_articles]
        if self.limit and self.limit < len(questions):
            questions = random.Random(self.seed).sample(questions, self.limit)
        return questions


@dataclass
class ReaderScore:
    n: int
    exact_match: float
    f1: float
    has_answer_exact_match: float | None  # over the answerable questions only (SQuAD 2.0's HasAns)
    has_answer_f1: float | None
    no_answer_rate: float  # share of questions the calibrated reader declines
    answerable_declined: float | None  # share of answerable questions declined (None when there are none)
    n_unanswerable: int
    unanswerable_declined: float | None  # share of unanswerable questions declined (None when there are none)
    # the same at the threshold that declines 10 % of the answerable ones, whatever the calibration
    unanswerable_declined_at_10_answerable: float | None
    ms_per_question: float
    predictions: dict[str, str] = field(default_factory=dict, repr=False)  # id -> answer ("" when declined)
    scored: list[Scored] = field(default_factory=list, repr=False)  # margins, for the calibration trade-off

    def summary(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("predictions", "scored")}


def score_reader(reader: Reader, questions: list[SquadQuestion], progress: bool = False) -> ReaderScore:
    """Read every question against its paragraph; score answerable ones by EM/F1 of the best span
    (the SQuAD v1.1 way: the span counts even under the threshold) and unanswerable ones by abstention."""
    if not questions:
        raise ValueError("no questions to score")
    blank = sum(1 for q in questions if q.answers and not any(a.strip() for a in q.answers))
    if blank:
        raise ValueError(f"{blank} of {len(questions)} questions have only empty gold answers: the file's answers are missing")
    cal = reader.calibration
    answerable_em = 0.0
    declined = {True: 0, False: 0}  # answerable -> how many declined
    count = {True: 0, False: 0}
    predictions: dict[str, str] = {}
    scored: list[Scored] = []
    t0 = time.perf_counter()
    batches = range(0, len(questions), BATCH_QUESTIONS)
    for lo in tqdm(batches, desc="reading", unit="batch", disable=not progress):
        batch = questions[lo : lo + BATCH_QUESTIONS]
        for q, p in zip(batch, reader.predict([(q.question, q.context) for q in batch])):
            abstains = cal.confidence(p.margin) < cal.threshold
            answerable = bool(q.answers)
            count[answerable] += 1
            declined[answerable] += abstains
            predictions[q.id] = "" if abstains else p.text
            if answerable:
                answerable_em += best_over_golds(exact_match, p.text, q.answers)
                scored.append(Scored(p.margin, True, best_over_golds(f1_score, p.text, q.answers)))
            else:
                scored.append(Scored(p.margin, False, 0.0))
    answerable_f1 = sum(s.f1 for s in scored if s.answerable)
    em = answerable_em + declined[False]  # an unanswerable question is right, EM and F1, when declined
    f1 = answerable_f1 + declined[False]
    elapsed = time.perf_counter() - t0
    n = len(questions)

    def share(part: float, whole: int) -> float | None:
        return round(100 * part / whole, 2) if whole else None

    return ReaderScore(
        n=n,
        exact_match=round(100 * em / n, 2),
        f1=round(100 * f1 / n, 2),
        has_answer_exact_match=share(answerable_em, count[True]),
        has_answer_f1=share(answerable_f1, count[True]),
        no_answer_rate=round(100 * (declined[True] + declined[False]) / n, 2),
        answerable_declined=share(declined[True], count[True]),
        n_unanswerable=count[False],
        unanswerable_declined=share(declined[False], count[False]),
        unanswerable_declined_at_10_answerable=unanswerable_declined_at(scored),
        ms_per_question=round(1000 * elapsed / n, 2),
        predictions=predictions,
        scored=scored,
    )
