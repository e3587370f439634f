"""Build external test sets (a corpus folder plus a JSONL test set) from ../shared/datasets.

    python -m eval.external squad --out eval/out/squad-heldout       # 300 questions
    rag eval eval/out/squad-heldout/testset.jsonl --corpus eval/out/squad-heldout/corpus
    python -m eval.external multihop --out eval/out/multihop         # retrieval recall on news

They are built at run time and never committed (SQuAD: CC BY-SA 4.0; MultiHop-RAG: ODC-BY;
see eval/README.md). Neither may be tuned on: they measure text nobody here wrote.

SQuAD v1.1 dev: only the articles the reader never saw in training (`split_by_article`:
the 10 alphabetically first titles), otherwise the score would measure memory, not
reading. Each paragraph is one document, so `doc_ids` name the paragraph that holds the
answer and the retriever must find it among every other paragraph of those articles.

MultiHop-RAG: 609 news articles (2023) and queries whose evidence facts name their
articles by title and URL. Its answers are mostly not spans ("Yes", comparisons), so only
its retrieval numbers (recall@k, MRR over the evidence articles) mean anything.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
from collections.abc import Iterable
from pathlib import Path

from rag.reader.squad import SquadQuestion, load_squad, split_by_article
from rag.settings import REPO_ROOT

DATASETS = REPO_ROOT.parent / "shared" / "datasets"
TESTSET_NAME = "testset.jsonl"


def _slug(text: str) -> str:
    return re.sub(r"[^\w.\-]+", "_", text).strip("_")[:80]


def write_set(out_dir: Path, documents: Iterable[tuple[str, str]], rows: Iterable[dict]) -> tuple[Path, Path]:
    """out_dir/corpus/<doc_id>.txt for each (doc_id, text), out_dir/testset.jsonl; returns (testset, corpus)."""
    corpus = out_dir / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for doc_id, text in documents:
        (corpus / f"{doc_id}.txt").write_text(text, encoding="utf-8")
    testset = out_dir / TESTSET_NAME
    with testset.open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    return testset, corpus


def _sample(items: list, n: int, seed: int) -> list:
    return items if not n or n >= len(items) else random.Random(seed).sample(items, n)


def paragraph_ids(questions: list[SquadQuestion]) -> dict[tuple[str, str], str]:
    """(title, context) -> a doc_id numbering each article's paragraphs in file order."""
    ids: dict[tuple[str, str], str] = {}
    per_title: dict[str, int] = {}
    for q in questions:
        if (q.title, q.context) not in ids:
            n = per_title[q.title] = per_title.get(q.title, -1) + 1
            ids[(q.title, q.context)] = f"{_slug(q.title)}-p{n:03d}"
    return ids


def build_squad(out_dir: Path, sample: int = 300, seed: int = 13, path: Path = DATASETS / "squad-v1.1-dev.json.zip") -> tuple[Path, Path]:
    """Every held-out paragraph as a document; `sample` random held-out questions (0 = all 2,015)."""
    _, heldout = split_by_article(load_squad(path))
    ids = paragraph_ids(heldout)
    documents = ((d, f"title: {t.replace('_', ' ')} ({d})\n\n{context}\n") for (t, context), d in ids.items())
    rows = (
        {"id": q.id, "question": q.question, "answers": list(dict.fromkeys(q.answers)), "doc_ids": [ids[(q.title, q.context)]]}
        for q in _sample(heldout, sample, seed)
    )
    return write_set(out_dir, documents, rows)


def build_multihop(out_dir: Path, sample: int = 200, seed: int = 13, folder: Path = DATASETS) -> tuple[Path, Path]:
    """Every article as a document; `sample` random queries that have evidence (null queries have none)."""
    articles = json.loads(gzip.open(folder / "multihoprag-corpus.json.gz").read())
    queries = json.loads(gzip.open(folder / "multihoprag-queries.json.gz").read())
    doc_of = {(a["title"], a["url"]): f"mh{n:03d}-{_slug(a['source'])}" for n, a in enumerate(articles)}
    documents = (
        (doc_of[(a["title"], a["url"])], f"title: {a['title']}\nsource: {a['source']}\ndate: {a['published_at'][:10]}\n\n{a['body']}\n")
        for a in articles
    )
    with_evidence = [(n, q) for n, q in enumerate(queries) if q["evidence_list"]]
    rows = (
        {
            "id": f"mh-q{n:04d}",
            "question": q["query"],
            "answers": [q["answer"]],
            "doc_ids": list(dict.fromkeys(doc_of[(e["title"], e["url"])] for e in q["evidence_list"])),
        }
        for n, q in _sample(with_evidence, sample, seed)
    )
    return write_set(out_dir, documents, rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.external", description=__doc__.split("\n")[0])
    parser.add_argument("dataset", choices=("squad", "multihop"))
    parser.add_argument("--out", type=Path, help="default eval/out/squad-heldout or eval/out/multihop")
    parser.add_argument("--sample", type=int, help="questions to keep, 0 = all (default 300 squad, 200 multihop)")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    build = build_squad if args.dataset == "squad" else build_multihop
    out = args.out or Path("eval/out") / ("squad-heldout" if args.dataset == "squad" else "multihop")
    kwargs = {} if args.sample is None else {"sample": args.sample}
    testset, corpus = build(out, seed=args.seed, **kwargs)
    n_docs = sum(1 for _ in corpus.glob("*.txt"))
    print(f"wrote {testset} and {n_docs} documents in {corpus}/\nrag eval {testset} --corpus {corpus}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
