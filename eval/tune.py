"""Tune chunking, top-k, BM25 weight, rank penalty, tie margin and the no-answer threshold on the seed set.

    nice -n 10 python -m eval.tune --out eval/out/tuning

One knob at a time from the current defaults, then the best value of each knob together,
then a threshold sweep on that combination. Only the seed set may be tuned on: the
external set stays a measurement of text nobody here wrote (see eval/README.md).

The reader's output for a (question, passage) pair does not depend on any knob tuned
here, so it is computed once and remembered across configurations; that is what makes a
few dozen runs affordable on two CPU cores. Latency is therefore not reported per
configuration: measure the chosen one with `rag eval`.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from eval.metrics import summarize
from eval.run import corpus_services, evaluate, read_testset
from rag.reader.model import Reader, SpanPrediction
from rag.settings import Settings

INDEX_KNOBS = ("chunk_tokens", "chunk_overlap_tokens")  # changing these needs a new index
SWEEPS: dict[str, list[Any]] = {
    "chunk": [(96, 16), (128, 32), (160, 0), (160, 32), (160, 64), (256, 32), (256, 64), (384, 64)],
    "top_k": [1, 3, 5, 8, 10],
    "bm25_weight": [0.0, 0.5, 1.0, 1.5, 2.0, 3.0],
    "rank_penalty": [0.0, 0.5, 1.0, 2.0, 3.0, 5.0],
    "tie_margin": [0.0, 0.25, 0.5, 1.0, 2.0],
    "no_answer_threshold": [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
}
TABLE_KEYS = ("exact_match", "f1", "answerable_f1", "no_answer_accuracy", "recall_at_1", "recall_at_5", "mrr")


class MemoReader:
    """A Reader that remembers each (question, passage, n) reading; the pipeline only needs
    `predict_nbest` and `calibration` from it."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.calibration = reader.calibration
        self._memo: dict[tuple[str, str, int], list[SpanPrediction]] = {}

    def predict_nbest(self, pairs: list[tuple[str, str]], n: int) -> list[list[SpanPrediction]]:
        missing = [p for p in dict.fromkeys(pairs) if (*p, n) not in self._memo]
        for pair, spans in zip(missing, self.reader.predict_nbest(missing, n)):
            self._memo[(*pair, n)] = spans
        return [self._memo[(*p, n)] for p in pairs]


@dataclass
class Trial:
    stage: str
    knobs: dict[str, Any]
    summary: dict[str, Any]

    def key(self) -> tuple:
        """Best first: exact match, then F1, then MRR (retrieval quality as the tie-break)."""
        s = self.summary
        return (s["exact_match"], s["f1"], s["mrr"] or 0.0)


def _overrides(knob: str, value: Any) -> dict[str, Any]:
    return dict(zip(INDEX_KNOBS, value)) if knob == "chunk" else {knob: value}


class Tuner:
    def __init__(self, testset: Path, corpus: Path, base: Settings) -> None:
        self.testset = read_testset(testset)
        self.corpus = corpus
        self.base = base
        self.reader: MemoReader | None = None
        self.trials: list[Trial] = []

    def knobs(self, overrides: dict[str, Any]) -> dict[str, Any]:
        s = self.base.model_copy(update=overrides)
        return {
            k: getattr(s, k)
            for k in (*INDEX_KNOBS, "top_k", "bm25_weight", "dense_weight", "rank_penalty", "tie_margin", "no_answer_threshold")
        }

    def run(self, stage: str, configs: list[dict[str, Any]]) -> list[Trial]:
        """Evaluates configs, building one temporary index per distinct chunking."""
        from rag.service import Services

        by_index: dict[tuple, list[dict[str, Any]]] = {}
        for overrides in configs:
            by_index.setdefault(tuple(self.knobs(overrides)[k] for k in INDEX_KNOBS), []).append(overrides)
        done = []
        for index_key, group in by_index.items():
            with corpus_services(self.base.model_copy(update=dict(zip(INDEX_KNOBS, index_key))), self.corpus) as built:
                self.reader = self.reader or MemoReader(built.reader)
                for overrides in group:
                    variant = Services(built.settings.model_copy(update=overrides))
                    # MemoReader has what the pipeline uses of a Reader (predict, calibration)
                    variant.embedder, variant.reader = built.embedder, cast(Reader, self.reader)
                    results, _ = evaluate(self.testset, variant.pipeline.answer)
                    knobs = self.knobs(overrides) | {"threshold_used": variant.pipeline.threshold}
                    done.append(Trial(stage, knobs, summarize(results)))
                    variant.store.close()
                    print(_row(done[-1]), flush=True)
        self.trials += done
        return done

    def best(self, trials: list[Trial]) -> Trial:
        return max(trials, key=Trial.key)


def _row(t: Trial) -> str:
    k = t.knobs
    cells = [
        t.stage,
        k["chunk_tokens"],
        k["chunk_overlap_tokens"],
        k["top_k"],
        k["bm25_weight"],
        k["dense_weight"],
        k["rank_penalty"],
        k["tie_margin"],
        f"{k['threshold_used']:.2f}" + ("" if k["no_answer_threshold"] is not None else " (cal.)"),
    ]
    cells += ["n/a" if t.summary[m] is None else f"{t.summary[m]:.3f}" for m in TABLE_KEYS]
    return "| " + " | ".join(map(str, cells)) + " |"


def render(trials: list[Trial]) -> str:
    head = ["stage", "chunk", "overlap", "top_k", "bm25 w", "dense w", "rank penalty", "tie margin", "threshold", *TABLE_KEYS]
    return "\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head), *map(_row, trials)]) + "\n"


def tune(tuner: Tuner) -> Trial:
    """Baseline, one knob at a time, the best of each together, then the threshold on top."""
    (baseline,) = tuner.run("baseline", [{}])
    best_overrides: dict[str, Any] = {}
    for knob, values in SWEEPS.items():
        trials = tuner.run(f"sweep {knob}", [_overrides(knob, v) for v in values])
        winner = tuner.best([baseline, *trials])
        if winner is not baseline:
            best_overrides |= _overrides(knob, values[trials.index(winner)])
    if best_overrides:
        tuner.run("combined", [best_overrides])
    no_threshold = {k: v for k, v in best_overrides.items() if k != "no_answer_threshold"}
    tuner.run("combined + threshold", [no_threshold | {"no_answer_threshold": t} for t in SWEEPS["no_answer_threshold"]])
    return tuner.best(tuner.trials)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.tune", description=__doc__.split("\n")[0])
    parser.add_argument("--testset", type=Path, default=Path("eval/seeds_qa.jsonl"))
    parser.add_argument("--corpus", type=Path, default=Path("seeds"))
    parser.add_argument("--out", type=Path, default=Path("eval/out/tuning"))
    args = parser.parse_args(argv)
    tuner = Tuner(args.testset, args.corpus, Settings())
    best = tune(tuner)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "tuning.md").write_text(render(tuner.trials), encoding="utf-8")
    (args.out / "tuning.json").write_text(json.dumps([t.__dict__ for t in tuner.trials], indent=2, default=str), encoding="utf-8")
    print(f"\nbest: {_row(best)}\nwrote {args.out / 'tuning.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
