"""Score the question shapes (eval/shapes_qa.jsonl): lists, yes/no, why/how, on-topic unanswerable.

EM/F1 against one gold span says little here: a list is right when it holds every item, a
yes/no or why answer when it states the deciding sentence, and an unanswerable question when
it is not given as an answer. Each is scored by what a reader of the reply would see:

- list: the share of gold items named in `answer`;
- yes_no, reason: whether `answer` holds one of the evidence clauses;
- unanswerable: whether the reply is not an answer (band "possible" or "none"; a reply without
  bands, from before them, counts only when `answer` is null).

    python -m eval.shapes eval/shapes_qa.jsonl --corpus seeds/
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from eval.run import corpus_services
from rag.settings import Settings


def _norm(text: str) -> str:
    return " ".join(text.replace("’", "'").replace("”", '"').replace("“", '"').lower().split())


def score_reply(item: dict[str, Any], answer: str | None, band: str | None) -> float:
    """The item's score in [0, 1] for one reply (see the module docstring)."""
    said = _norm(answer or "")
    if item["shape"] == "list":
        return sum(_norm(gold) in said for gold in item["items"]) / len(item["items"])
    if item["shape"] in ("yes_no", "reason"):
        return float(any(_norm(e) in said for e in item["evidence"]))
    return float(band in ("possible", "none") if band else answer is None)


def run(testset: Path, corpus: Path) -> dict[str, Any]:
    items = [json.loads(line) for line in testset.read_text().splitlines() if line.strip()]
    rows = []
    with corpus_services(Settings(), corpus) as services:
        for item in items:
            reply = services.pipeline.ask(item["question"])
            band = getattr(reply, "confidence_band", None)
            rows.append(
                {
                    "id": item["id"],
                    "shape": item["shape"],
                    "score": score_reply(item, reply.answer, band),
                    "band": band,
                    "answer": reply.answer,
                }
            )
    by_shape: dict[str, list[float]] = {}
    for row in rows:
        by_shape.setdefault(row["shape"], []).append(row["score"])
    return {
        "by_shape": {shape: round(sum(s) / len(s), 3) for shape, s in by_shape.items()},
        "overall": round(sum(r["score"] for r in rows) / len(rows), 3),
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("testset", type=Path)
    parser.add_argument("--corpus", type=Path, required=True)
    args = parser.parse_args()
    print(json.dumps(run(args.testset, args.corpus), indent=1))


if __name__ == "__main__":
    main()
