"""Which calibration to ship: candidate fits on training-side pairs, each measured on the evaluation halves.

`rag calibrate-reader` fits one calibration; this says whether it is better than the one shipped. The
reader reads every pair once (as the product runs it, `--runtime`), the margins are cached under
`--out`, and each candidate is only arithmetic on them:

- fitted on (never an evaluation set): SQuAD v1.1 **train** questions, each also against another
  article's paragraph (what the shipped calibration was fitted on); the **calibration half** of the
  rebuilt SQuAD 2.0 dev (its 17 first titles: unanswerable questions written to look answerable);
  the **calibration half** of the news set (`eval/news_set.py`);
- measured on: SQuAD 2.0's **evaluation half** (the same seeded 600 as eval/README.md) and the
  news set's **evaluation half**.

Per candidate and set: the SQuAD 2.0 score (F1 of what is answered, 1 for each unanswerable pair
declined), the share of answerable and of unanswerable pairs declined, and how well the confidence
means P(right): the expected calibration error (10 equal-width bins) and the Brier score.

    python -m eval.news_set                 # the news halves, once
    python -m eval.calibration_compare      # eval/out/calibration/compare.json and a table
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import asdict
from pathlib import Path

import numpy as np

from eval.external import DATASETS
from eval.reader_eval import Selection
from rag.reader.calibrate import Scored, fit, right_labels, score_pairs, squad2_credit, with_negatives
from rag.reader.model import Calibration, Reader
from rag.reader.squad import SQUAD2_CALIBRATION_TITLES, SquadQuestion, load_squad
from rag.settings import Settings

SQUAD_TRAIN = DATASETS / "squad-v1.1-train-rebuilt.json.gz"
SQUAD2 = DATASETS / "squad-v2.0-dev-rebuilt.json.gz"
NEWS = Path("eval/out/news")

# candidate: the fitting sources it pools (None: the reader's own calibration.json)
CANDIDATES: dict[str, tuple[str, ...] | None] = {
    "shipped": None,
    "SQuAD train": ("squad-train",),
    "SQuAD train + news": ("squad-train", "news-calibration"),
    "SQuAD train + SQuAD 2.0 + news": ("squad-train", "squad2-calibration", "news-calibration"),
}
EVALUATION = ("squad2-evaluation", "news-evaluation")


def pair_sets(questions: int, seed: int, news_dir: Path) -> dict[str, list[SquadQuestion]]:
    """Every set of pairs, by name: three to fit on, two to measure on."""
    squad2 = load_squad(SQUAD2)
    return {
        "squad-train": with_negatives(load_squad(SQUAD_TRAIN), questions, random.Random(seed)),
        "squad2-calibration": Selection(questions, seed, first_articles=SQUAD2_CALIBRATION_TITLES).apply(squad2),
        "news-calibration": load_squad(news_dir / "news-calibration.json"),
        "squad2-evaluation": Selection(600, 13, skip_articles=SQUAD2_CALIBRATION_TITLES).apply(squad2),
        "news-evaluation": load_squad(news_dir / "news-eval.json"),
    }


def cached_scores(reader: Reader, name: str, items: list[SquadQuestion], cache: Path) -> list[Scored]:
    """The reader's margins on one set, read once. The cache is keyed by the reader's folder name, runtime
    and the set's question ids, not by its weights: delete it after re-exporting weights into the same folder."""
    path = cache / f"{name}.json"
    ids = [q.id for q in items]
    if path.exists():
        saved = json.loads(path.read_text())
        if saved["ids"] == ids:
            return [Scored(**s) for s in saved["scored"]]
    scored = score_pairs(reader, items)
    cache.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"ids": ids, "scored": [asdict(s) for s in scored]}) + "\n")
    return scored


def quality(calibration: Calibration, scored: list[Scored], bins: int = 10) -> dict[str, float]:
    """How a calibration does on one set: the SQuAD 2.0 score at its threshold, what it declines, and
    whether its confidence means P(right) (right: an answerable pair whose span has F1 >= 0.5)."""
    conf = np.array([calibration.confidence(s.margin) for s in scored])
    answerable = np.array([s.answerable for s in scored])
    f1 = np.array([s.f1 for s in scored])
    right = right_labels(answerable, f1)
    answered = conf >= calibration.threshold
    score = squad2_credit(answered, answerable, f1)
    # ECE = sum over bins of |mean confidence - share right| x the bin's share of pairs = sum |bin gaps| / N
    bin_of = np.minimum((conf * bins).astype(int), bins - 1)
    gaps = np.bincount(bin_of, weights=conf, minlength=bins) - np.bincount(bin_of, weights=right, minlength=bins)
    ece = np.abs(gaps).sum() / len(scored)
    return {
        "squad2_f1": round(100 * float(score.mean()), 2),
        "answerable_declined": round(100 * float((~answered[answerable]).mean()), 2),
        "unanswerable_declined": round(100 * float((~answered[~answerable]).mean()), 2),
        "ece": round(float(ece), 4),
        "brier": round(float(((conf - right) ** 2).mean()), 4),
    }


def compare(scores: dict[str, list[Scored]], shipped: Calibration) -> list[dict]:
    rows = []
    for name, sources in CANDIDATES.items():
        calibration = shipped if sources is None else fit([s for source in sources for s in scores[source]])
        rows.append({"candidate": name, **asdict(calibration), **{e: quality(calibration, scores[e]) for e in EVALUATION}})
    return rows


def table(rows: list[dict]) -> str:
    head = "| candidate | slope, intercept, threshold | " + " | ".join(
        f"{e}: SQuAD 2.0 F1 / answerable declined / unanswerable declined / ECE" for e in EVALUATION
    )
    lines = [head + " |", "|" + "---|" * (2 + len(EVALUATION))]
    for r in rows:
        cells = [
            f"{r[e]['squad2_f1']} / {r[e]['answerable_declined']} % / {r[e]['unanswerable_declined']} % / {r[e]['ece']}" for e in EVALUATION
        ]
        lines.append(f"| {r['candidate']} | {r['slope']:.3f}, {r['intercept']:.3f}, {r['threshold']:.3f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.calibration_compare", description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, help="reader directory (default: RAG_READER, the shipped reader)")
    parser.add_argument("--runtime", default="auto", choices=["auto", "torch-fp32", "torch-bf16", "openvino-int8"])
    parser.add_argument("--questions", type=int, default=600, help="SQuAD train questions and SQuAD 2.0 calibration-half questions")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--news", type=Path, default=NEWS, help="folder of news-calibration.json and news-eval.json")
    parser.add_argument("--out", type=Path, default=Path("eval/out/calibration"))
    args = parser.parse_args(argv)
    for path in (SQUAD_TRAIN, SQUAD2, args.news / "news-calibration.json", args.news / "news-eval.json"):
        if not path.is_file():
            parser.error(f"file not found: {path} (the news halves: python -m eval.news_set)")
    from rag.service import Services, reader_runtime

    settings = Settings().model_copy(update={"reader_runtime": args.runtime} | ({"reader": str(args.model)} if args.model else {}))
    reader = Services(settings).reader
    cache = args.out / f"{settings.reader_model.name}-{reader_runtime(settings)}"
    scores = {name: cached_scores(reader, name, items, cache) for name, items in pair_sets(args.questions, args.seed, args.news).items()}
    rows = compare(scores, reader.calibration)
    (args.out / "compare.json").write_text(json.dumps(rows, indent=2) + "\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
