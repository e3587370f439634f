"""A news reading set nobody here wrote, built mechanically from MultiHop-RAG (ODC-BY).

Readers learn from Wikipedia (SQuAD) and calibrate there, but users ask about news. This set
puts news text in front of the reader, built by a fixed rule so that nobody can tilt it:

- answerable: every MultiHop-RAG query whose answer is an entity (not Yes/No, not a null
  query) that occurs verbatim in one of its evidence sentences; the first such evidence
  article is cut into the product's own passages (`index.chunk.Chunker`, the shipped chunk
  size) and the question is read against the passage that holds that sentence;
- unanswerable: the same question read against a passage of an article that is none of its
  evidence articles and does not contain the answer, chosen at random (seeded).

Queries are split in two halves by a seeded shuffle: `news-calibration.json` may be used to fit
the reader's confidence and threshold (`rag calibrate-reader`), `news-eval.json` only to
measure. Both are SQuAD layout (an empty `answers` list marks an unanswerable pair), written
under eval/out at run time and never committed or edited by hand.

    python -m eval.news_set                      # eval/out/news/news-{calibration,eval}.json
    rag eval-reader eval/out/news/news-eval.json
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
from pathlib import Path

from eval.external import DATASETS
from index.chunk import Chunker
from index.types import Article
from rag.settings import Settings

SPLITS = ("calibration", "eval")


def _passages(chunker: Chunker, article: dict) -> list[str]:
    text = article["body"]
    return [c.text for c in chunker.chunk(Article(doc_id="a", title=article["title"], text=text))]


def build_pairs(folder: Path = DATASETS, seed: int = 13, chunk_tokens: int | None = None) -> dict[str, list[dict]]:
    """{split: [{id, question, context, answer (None when unanswerable), article}]}: one answerable
    and one unanswerable pair per qualifying query."""
    articles = json.loads(gzip.open(folder / "multihoprag-corpus.json.gz").read())
    queries = json.loads(gzip.open(folder / "multihoprag-queries.json.gz").read())
    chunker = Chunker(max_tokens=chunk_tokens or Settings().chunk_tokens, overlap_tokens=0)
    by_key = {(a["title"], a["url"]): a for a in articles}
    passages = {key: _passages(chunker, a) for key, a in by_key.items()}
    keys = sorted(by_key)
    rng = random.Random(seed)

    pairs: list[tuple[dict, dict]] = []
    for n, q in enumerate(queries):
        answer = q["answer"].strip()
        if q["question_type"] == "null_query" or answer in ("Yes", "No") or not answer:
            continue
        evidence = next((e for e in q["evidence_list"] if answer in e["fact"]), None)
        if evidence is None:
            continue
        key = (evidence["title"], evidence["url"])
        context = next((p for p in passages[key] if evidence["fact"] in p and answer in p), None)
        if context is None:  # the evidence sentence straddles two passages
            continue
        own = {(e["title"], e["url"]) for e in q["evidence_list"]}
        others = [p for k in keys if k not in own for p in passages[k] if answer not in p]
        base = {"question": q["query"], "query": n}
        pairs.append(
            (
                {**base, "id": f"mhnews-{n:04d}-a", "context": context, "answer": answer, "article": evidence["title"]},
                {**base, "id": f"mhnews-{n:04d}-u", "context": rng.choice(others), "answer": None, "article": ""},
            )
        )
    order = list(range(len(pairs)))
    random.Random(seed + 1).shuffle(order)
    half = len(order) // 2
    return {
        "calibration": [p for i in sorted(order[:half]) for p in pairs[i]],
        "eval": [p for i in sorted(order[half:]) for p in pairs[i]],
    }


def to_squad(pairs: list[dict]) -> dict:
    """SQuAD v1.1 layout, one paragraph per pair (the answer's first occurrence as its offset)."""
    data = []
    for p in pairs:
        answers = [] if p["answer"] is None else [{"text": p["answer"], "answer_start": p["context"].index(p["answer"])}]
        qa = {"id": p["id"], "question": p["question"], "answers": answers}
        data.append({"title": p["article"], "paragraphs": [{"context": p["context"], "qas": [qa]}]})
    return {"version": "multihoprag-news-1", "data": data}


def write_sets(out_dir: Path, folder: Path = DATASETS, seed: int = 13) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for split, pairs in build_pairs(folder, seed).items():
        paths[split] = out_dir / f"news-{split}.json"
        paths[split].write_text(json.dumps(to_squad(pairs), ensure_ascii=False) + "\n", encoding="utf-8")
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.news_set", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("eval/out/news"))
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    for split, path in write_sets(args.out, seed=args.seed).items():
        n = len(json.loads(path.read_text())["data"])
        print(f"{split}: {path} ({n} pairs, half unanswerable)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
