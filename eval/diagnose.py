"""Why questions fail: compare an open run with a `--gold-docs` run of the same test set.

    rag eval SET --corpus DIR --out eval/out/open
    rag eval SET --corpus DIR --gold-docs --out eval/out/gold
    python -m eval.diagnose eval/out/open/report.json eval/out/gold/report.json

Each question not answered exactly in the open run is put in the one place a fix would
have to go: retrieval (the gold document was not among the passages read), distraction
(right with only its own documents, wrong with the retrieved mix: ranking or answer
merging), the reader (wrong even on its own documents), or the no-answer decision
(an unanswerable question answered, or an answerable one declined).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

CAUSES = (
    "retrieval miss",
    "distracted by other passages",
    "reader wrong on its own documents",
    "answered an unanswerable question",
    "declined an answerable question",
)


def cause(open_row: dict, gold_row: dict) -> str | None:
    """The cause of a miss in the open run; None when the open run was exactly right."""
    if open_row["exact_match"] == 1.0:
        return None
    if not open_row["golds"]:
        return CAUSES[3]
    if open_row["predicted"] is None:
        return CAUSES[4]
    if open_row["gold_doc_ids"] and open_row["gold_rank"] is None:
        return CAUSES[0]
    return CAUSES[1] if gold_row["exact_match"] == 1.0 else CAUSES[2]


def diagnose(open_report: dict, gold_report: dict) -> dict[str, list[str]]:
    gold_by_id = {r["id"]: r for r in gold_report["results"]}
    found: dict[str, list[str]] = {c: [] for c in CAUSES}
    for row in open_report["results"]:
        why = cause(row, gold_by_id[row["id"]])
        if why:
            found[why].append(row["id"])
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.diagnose", description=__doc__.split("\n")[0])
    parser.add_argument("open_report", type=Path)
    parser.add_argument("gold_docs_report", type=Path)
    args = parser.parse_args(argv)
    found = diagnose(*(json.loads(p.read_text(encoding="utf-8")) for p in (args.open_report, args.gold_docs_report)))
    n = json.loads(args.open_report.read_text(encoding="utf-8"))["summary"]["n"]
    counts = Counter({c: len(ids) for c, ids in found.items()})
    print(f"{sum(counts.values())} of {n} questions not exactly right:")
    for c in CAUSES:
        print(f"  {counts[c]:4d}  {c}" + (f": {', '.join(found[c][:20])}" if found[c] else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
