"""Lever 4 of the speed issue, measured before it is built: a cascade in which a fast reader (the distilled
student) answers first and the accurate reader reads only when the fast one is unsure.

`python -m bench.cascade --fast DIR` lets each reader answer every question once, each in its own process
with the same settings otherwise: the seed questions end to end over the seed index (`bench.levers one`),
and SQuAD dev questions of the held-out articles against their paragraphs. The cascade at threshold c then
takes the fast reader's reply where its calibrated confidence is at least c and the accurate reader's
everywhere else, paying both readers' time there. One pair of runs gives the whole trade-off, every
threshold alike, which is what decides whether the cascade is worth building into the product: it saves
time only when the fast reader is sure of most questions and right when it is sure.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from bench.levers import OUT, SQUAD, child_result
from bench.stats import percentiles
from rag.settings import REPO_ROOT

THRESHOLDS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.98)


def squad_records(limit: int) -> dict:
    """Child process: the configured reader (RAG_READER, RAG_READER_RUNTIME) on held-out SQuAD dev
    questions, one question at a time as the product reads them: F1, calibrated confidence and ms each."""
    from rag.reader.model import Reader
    from rag.reader.squad import best_over_golds, f1_score, load_squad, split_by_article
    from rag.service import reader_runtime
    from rag.settings import Settings

    s = Settings()
    _, heldout = split_by_article(load_squad(SQUAD))
    reader = Reader(
        s.reader_model, max_length=s.reader_max_length, stride=s.reader_stride, runtime=reader_runtime(s), threads=s.torch_threads
    )
    reader.predict([(heldout[0].question, heldout[0].context)])  # builds the first shapes, not timed
    records = []
    for q in heldout[:limit]:
        t = time.perf_counter()
        span = reader.predict([(q.question, q.context)])[0]
        ms = 1000 * (time.perf_counter() - t)
        records.append(
            {"f1": best_over_golds(f1_score, span.text, q.answers), "confidence": reader.calibration.confidence(span.margin), "ms": ms}
        )
    return {"records": records}


def alone(records: list[dict]) -> dict:
    """One reader by itself: mean F1 (x100) and latency."""
    return {"f1": round(100 * float(np.mean([r["f1"] for r in records])), 2), "ms": percentiles([r["ms"] for r in records])}


def curve(fast: list[dict], accurate: list[dict], thresholds: tuple[float, ...] = THRESHOLDS) -> list[dict]:
    """The cascade at each threshold from both readers' records of the same questions (same order):
    the share the fast reader answers alone, the mean F1 (x100) and the latency of the mix."""
    if len(fast) != len(accurate):
        raise ValueError("both readers must have answered the same questions")
    rows = []
    for c in thresholds:
        sure = [f["confidence"] >= c for f in fast]
        f1 = [f["f1"] if s else x["f1"] for f, x, s in zip(fast, accurate, sure)]
        ms = [f["ms"] if s else f["ms"] + x["ms"] for f, x, s in zip(fast, accurate, sure)]
        rows.append(
            {"threshold": c, "fast_alone": round(float(np.mean(sure)), 3), "f1": round(100 * float(np.mean(f1)), 2), "ms": percentiles(ms)}
        )
    return rows


def _seed_records(result: dict, questions: Path) -> list[dict]:
    from bench.peer_compare import load_questions
    from eval.metrics import answer_scores

    qa = load_questions(questions)
    return [{**r, "f1": answer_scores(r["answer"], q["answers"])[1]} for r, q in zip(result["records"], qa)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="the cascade's trade-off, from a fast and the accurate reader's answers")
    p.add_argument("mode", nargs="?", default="all", choices=["all", "squad-child"])
    p.add_argument("--fast", type=Path, help="the fast reader's directory (a distilled student)")
    p.add_argument("--fast-runtime", default="torch-fp32")
    p.add_argument("--data-dir", type=Path, default=OUT / "work" / "seed-data")
    p.add_argument("--questions", type=Path, default=REPO_ROOT / "eval" / "seeds_qa.jsonl")
    p.add_argument("--squad-limit", type=int, default=300)
    args = p.parse_args(argv)
    if args.mode == "squad-child":
        print(json.dumps(squad_records(args.squad_limit)))
        return 0
    if args.fast is None:
        p.error("--fast DIR is required")
    if not (args.data_dir / "rag.sqlite3").exists():
        from bench.run import seed_index

        seed_index(args.data_dir)
    readers = {"fast": {"RAG_READER": str(args.fast.resolve()), "RAG_READER_RUNTIME": args.fast_runtime}, "accurate": {}}
    results: dict = {"fast": str(args.fast), "fast_runtime": args.fast_runtime, "seeds": {}, "squad_heldout": {}}
    records: dict[str, dict[str, list[dict]]] = {"seeds": {}, "squad_heldout": {}}
    for name, env in readers.items():
        seeds = child_result(
            "bench.levers", ["one", "--records", "--data-dir", str(args.data_dir), "--questions", str(args.questions)], env
        )
        squad = child_result("bench.cascade", ["squad-child", "--squad-limit", str(args.squad_limit)], env)
        for where, r in (("seeds", seeds), ("squad_heldout", squad)):
            if "error" in r:
                print(f"{name} on {where}: {r['error']}", file=sys.stderr)
                return 1
        records["seeds"][name] = _seed_records(seeds, args.questions)
        records["squad_heldout"][name] = squad["records"]
    for where, by_reader in records.items():
        results[where] = {name: alone(r) for name, r in by_reader.items()} | {"cascade": curve(by_reader["fast"], by_reader["accurate"])}
        for name in by_reader:
            print(f"{where:13s} {name} alone: F1 {results[where][name]['f1']:6.2f}  p50 {results[where][name]['ms']['p50']} ms")
        for row in results[where]["cascade"]:
            print(f"{where:13s} c={row['threshold']:<5} fast alone {row['fast_alone']:.0%}  F1 {row['f1']:6.2f}  p50 {row['ms']['p50']} ms")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "cascade.json").write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
