"""Scores the product on a multi-year dated news archive, each question asked on its own day.

    python -m eval.dated_archive --half tune --sample 200        # tune on this half
    python -m eval.dated_archive --half report --sample 200      # report on the other one

The archive (`../shared/datasets/realtimeqa-dated/`: dated passages and weekly quiz questions
with `as_of`) carries no licence, so everything built from it goes to the git-ignored
`eval/out/dated-archive/`: the index, the reader's outputs, the summaries. Nothing derived
from it belongs in the repository; only the aggregate figures go to eval/README.md.

Split: by the ISO week of `as_of`, even weeks tune and odd weeks report. A quiz week's
questions share their evidence and phrasing, so the split never puts one week on both sides;
alternating weeks (not "earlier dates tune") keeps both halves spread over every year, where
the archive's density, and so how much older evidence competes, differs.

The reader is most of the time of a question and its output for one (question, passage) pair
never depends on the time priors, so its outputs are cached on disk: retuning the priors only
re-reads passages it has not read before. The cache is one file per reader runtime
(`reader-cache-openvino-int8.sqlite3`, …): int8 and float32 give slightly different spans, and a
run must score the runtime it says it ran, not outputs an earlier default left behind.

Only the tuning half is studied: its runs also write each question's answer, gold and error
class to `details-tune-LABEL.jsonl`. The report half is scored, never read question by question,
so it writes only its summary.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import sqlite3
import time
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tqdm import tqdm

from eval.metrics import QuestionResult, summarize
from eval.run import score
from eval.testset import EvalQuestion, load_testset
from rag.question import Question
from rag.reader.model import Reader, SpanPrediction
from rag.settings import Settings
from rag.timeprior import TimePrior
from rag.types import Answer

ARCHIVE = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / "realtimeqa-dated"
OUT = Path(__file__).resolve().parent / "out" / "dated-archive"


def half_of(as_of: dt.date) -> str:
    """`tune` for even ISO weeks, `report` for odd ones (module docstring: why weeks)."""
    return "tune" if as_of.isocalendar().week % 2 == 0 else "report"


def sample(half: str, n: int | None, seed: int = 20) -> list[EvalQuestion]:
    """A fixed, seeded sample of one half, in file order (the same questions on every run)."""
    items = load_testset(ARCHIVE / "dev.jsonl").items
    mine = [q for q in items if isinstance(q, EvalQuestion) and q.as_of and half_of(q.as_of) == half]
    if n is None or n >= len(mine):
        return mine
    keep = set(random.Random(seed).sample(range(len(mine)), n))
    return [q for i, q in enumerate(mine) if i in keep]


class CachedReader:
    """The reader with its outputs remembered on disk, per (question, passage text)."""

    def __init__(self, reader: Reader, path: Path) -> None:
        self.reader = reader
        self.calibration = reader.calibration
        self._db = sqlite3.connect(path)
        self._db.execute("CREATE TABLE IF NOT EXISTS spans (key TEXT PRIMARY KEY, span TEXT NOT NULL)")

    @staticmethod
    def _key(question: str, context: str, n: int) -> str:
        return hashlib.sha1(f"{question}\0{context}\0{n}".encode()).hexdigest()

    def predict_nbest(self, pairs: list[tuple[str, str]], n: int) -> list[list[SpanPrediction]]:
        keys = [self._key(q, c, n) for q, c in pairs]
        known: dict[str, list[SpanPrediction]] = {}
        for lo in range(0, len(keys), 500):
            part = keys[lo : lo + 500]
            rows = self._db.execute(f"SELECT key, span FROM spans WHERE key IN ({','.join('?' * len(part))})", part)
            known.update((k, [SpanPrediction(**d) for d in json.loads(s)]) for k, s in rows)
        missing = [i for i, k in enumerate(keys) if k not in known]
        for i, spans in zip(missing, self.reader.predict_nbest([pairs[i] for i in missing], n)):
            known[keys[i]] = spans
            self._db.execute("INSERT OR REPLACE INTO spans VALUES (?, ?)", (keys[i], json.dumps([asdict(s) for s in spans])))
        self._db.commit()
        return [known[k] for k in keys]


def error_class(result: QuestionResult, answer: Answer, as_of: dt.date) -> str:
    """Why a question was not answered exactly (or `correct`): the classes of the issue."""
    dates = [c.date for c in answer.citations] + [c.date for e in answer.earlier for c in e.citations]
    if any(d and d > as_of for d in dates):
        return "cites evidence dated after as_of"
    if result.exact_match:
        return "correct"
    if result.predicted is None:
        return "declined, gold passage retrieved" if result.gold_rank else "declined, gold passage not retrieved"
    if result.gold_rank is None:
        return "wrong answer, gold passage not retrieved"
    if answer.citations and answer.citations[0].doc_id in result.gold_doc_ids:
        return "wrong span from the gold passage"
    return f"wrong answer from another passage (gold at rank {result.gold_rank})"


def services_for(settings: Settings):  # -> Services (imported late: loads torch)
    """Services over the archive's own index (built once) with the cached reader."""
    from rag.service import Services

    OUT.mkdir(parents=True, exist_ok=True)
    services = Services(settings.model_copy(update={"data_dir": OUT / "index"}))
    if not services.store.counts()[0]:
        services.ingestor.ingest_paths([ARCHIVE / "corpus"])
    runtime = services.reader.runtime.name
    services.__dict__["reader"] = CachedReader(services.reader, OUT / f"reader-cache-{runtime}.sqlite3")
    return services


def run(half: str, n: int | None, settings: Settings, label: str) -> dict[str, Any]:
    questions = sample(half, n)
    services = services_for(settings)
    results: list[QuestionResult] = []
    classes: Counter[str] = Counter()
    details: list[dict[str, Any]] = []
    for q in tqdm(questions, desc=f"{half} {label}", unit="question", mininterval=30):
        as_of = q.as_of or dt.date.today()
        t = time.perf_counter()
        answer = services.pipeline.answer(Question(q.question, as_of))
        result = score(q, answer, 1000 * (time.perf_counter() - t))
        results.append(result)
        kind = error_class(result, answer, as_of)
        classes[kind] += 1
        details.append(
            {"id": q.id, "question": q.question, "gold": q.answers, "answer": answer.answer, "shape": answer.shape}
            | {"confidence": answer.confidence, "f1": result.f1, "gold_rank": result.gold_rank, "class": kind}
        )
    runtime = services.reader.reader.runtime.name
    summary = summarize(results) | {"half": half, "label": label, "runtime": runtime, "errors_by_class": dict(classes.most_common())}
    if half == "tune":
        (OUT / f"details-{half}-{label}.jsonl").write_text("".join(json.dumps(d) + "\n" for d in details))
    (OUT / f"summary-{half}-{label}.json").write_text(json.dumps(summary, indent=1))
    return summary


def tune_retrieval(half: str, n: int | None, settings: Settings, grid: list[TimePrior]) -> list[dict[str, Any]]:
    """R@1/R@5/MRR of the gold passage for each prior in `grid`, retrieval only (no reader): the
    prior is a retrieval weight, so it is tuned on where it puts the evidence, cheaply, and the
    chosen one is then checked end to end."""
    from functools import lru_cache

    from eval.metrics import first_relevant_rank, mean_reciprocal_rank, recall_at_k
    from rag.answer import time_filters

    questions = sample(half, n)
    services = services_for(settings)
    retriever = services.retriever
    services.embedder.embed_query = lru_cache(maxsize=None)(services.embedder.embed_query)
    rows = []
    for prior in grid:
        ranks = []
        for q in questions:
            assert q.as_of is not None
            filters, period = time_filters(q.question, None, q.as_of)
            passages = retriever.retrieve(q.question, settings.top_k, filters, time_bonus=prior.bonus(q.as_of, period))
            ranks.append(first_relevant_rank([p.doc_id for p in passages], q.doc_ids))
        rows.append(asdict(prior) | {"r1": recall_at_k(ranks, 1), "r5": recall_at_k(ranks, 5), "mrr": mean_reciprocal_rank(ranks)})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--half", choices=("tune", "report"), required=True)
    parser.add_argument("--sample", type=int, default=200, help="questions of that half (0: all)")
    parser.add_argument("--label", default="run", help="name of the summary file in eval/out/dated-archive/")
    parser.add_argument("--tune-retrieval", action="store_true", help="grid of time priors, retrieval only (R@1/R@5/MRR)")
    args = parser.parse_args()
    if args.tune_retrieval:
        grid = [
            TimePrior(weight, half_life, period, 31)
            for weight in (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)
            for half_life in (7.0, 30.0, 180.0)
            for period in (0.0, 0.5)
        ]
        rows = tune_retrieval(args.half, args.sample or None, Settings(), grid)
        (OUT / f"tune-retrieval-{args.half}.json").write_text(json.dumps(rows, indent=1))
        return
    summary = run(args.half, args.sample or None, Settings(), args.label)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
