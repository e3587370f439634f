"""Build the external test set: SQuAD v1.1 dev, held-out articles, as a corpus plus a JSONL set.

    python -m eval.external_squad --out eval/out/squad-heldout          # 300 questions
    rag eval eval/out/squad-heldout/squad_heldout.jsonl --corpus eval/out/squad-heldout/corpus

Only the articles the reader never saw in training are used (`split_by_article`: the 10
alphabetically first titles), otherwise the score would measure memory, not reading.
Each paragraph becomes one document, so `doc_ids` name the paragraph that holds the
answer and the retriever has to find it among every other paragraph of those articles.
The data is built at run time from ../shared/datasets and never committed
(SQuAD is CC BY-SA 4.0; see eval/README.md).
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

from rag.reader.squad import SquadQuestion, load_squad, split_by_article
from rag.settings import REPO_ROOT

DEFAULT_SQUAD = REPO_ROOT.parent / "shared" / "datasets" / "squad-v1.1-dev.json.zip"
TESTSET_NAME = "squad_heldout.jsonl"


def _slug(title: str) -> str:
    return re.sub(r"[^\w.\-]+", "_", title).strip("_")[:80]


def paragraph_ids(questions: list[SquadQuestion]) -> dict[tuple[str, str], str]:
    """(title, context) -> a doc_id numbering each article's paragraphs in file order."""
    ids: dict[tuple[str, str], str] = {}
    per_title: dict[str, int] = {}
    for q in questions:
        key = (q.title, q.context)
        if key not in ids:
            n = per_title.get(q.title, 0)
            per_title[q.title] = n + 1
            ids[key] = f"{_slug(q.title)}-p{n:03d}"
    return ids


def build(squad_path: Path, out_dir: Path, sample: int = 300, seed: int = 13) -> tuple[Path, Path]:
    """Writes out_dir/corpus/*.txt (every held-out paragraph) and out_dir/squad_heldout.jsonl
    (`sample` random held-out questions, 0 = all); returns (testset, corpus)."""
    _, heldout = split_by_article(load_squad(squad_path))
    ids = paragraph_ids(heldout)
    corpus = out_dir / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for (title, context), doc_id in ids.items():
        readable = title.replace("_", " ")
        (corpus / f"{doc_id}.txt").write_text(f"title: {readable} ({doc_id})\n\n{context}\n", encoding="utf-8")
    chosen = heldout if not sample or sample >= len(heldout) else random.Random(seed).sample(heldout, sample)
    testset = out_dir / TESTSET_NAME
    with testset.open("w", encoding="utf-8") as f:
        for q in chosen:
            row = {"id": q.id, "question": q.question, "answers": list(dict.fromkeys(q.answers)),
                   "doc_ids": [ids[(q.title, q.context)]]}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return testset, corpus


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.external_squad", description=__doc__.split("\n")[0])
    parser.add_argument("--squad", type=Path, default=DEFAULT_SQUAD)
    parser.add_argument("--out", type=Path, default=Path("eval/out/squad-heldout"))
    parser.add_argument("--sample", type=int, default=300, help="questions to keep (0: all 2,015)")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    testset, corpus = build(args.squad, args.out, args.sample, args.seed)
    n_docs = sum(1 for _ in corpus.glob("*.txt"))
    print(f"wrote {testset} and {n_docs} paragraphs in {corpus}/\nrag eval {testset} --corpus {corpus}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
