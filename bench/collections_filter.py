"""What access control costs a question: dense and BM25 search restricted to one collection
(the ids of its chunks from SQLite, then a FAISS IDSelectorBatch; the SQL join for BM25)
against the same searches over everything, on a real Store of synthetic articles.

    python -m bench.collections_filter --chunks 50000 --collections 4
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.stats import percentiles
from index.store import Filters, Store
from index.types import Article, Chunk
from index.vectors import VectorIndex
from rag.bm25 import keyword_search

DIM = 384
WORDS = [a + b + c + "ing" for a in "bcdfghjklm" for b in "aeiou" for c in "nprstvwxyz"]  # 500 words


def build(store: Store, chunks: int, collections: int, per_doc: int = 10) -> None:
    rng = np.random.default_rng(0)
    for d in range(chunks // per_doc):
        text = " ".join(rng.choice(WORDS, size=40 * per_doc))
        article = Article(f"doc{d}", f"Doc {d}", text)
        step = len(text) // per_doc
        parts = [Chunk(article.doc_id, i, i * step, (i + 1) * step, text[i * step : (i + 1) * step], 40) for i in range(per_doc)]
        vectors = rng.normal(size=(per_doc, DIM)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        store.upsert([(article, parts, vectors)], collection=f"c{d % collections}")


def timed(fn, repeats: int) -> dict[str, float]:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - t))
    return percentiles(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=50_000)
    parser.add_argument("--collections", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "rag.sqlite3")
        t = time.perf_counter()
        build(store, args.chunks, args.collections)
        built = time.perf_counter() - t
        vectors = VectorIndex(store, Path(folder), "IDMap,Flat", DIM)
        query = np.random.default_rng(1).normal(size=DIM).astype(np.float32)
        one = Filters().within(frozenset({"c0"}))
        results = {
            "chunks": args.chunks,
            "collections": args.collections,
            "build_s": round(built, 1),
            "dense_all_ms": timed(lambda: vectors.search(query, 40), args.repeats),
            "dense_one_collection_ms": timed(lambda: vectors.search(query, 40, one), args.repeats),
            "bm25_all_ms": timed(lambda: keyword_search(store, "baning cening doting", 40), args.repeats),
            "bm25_one_collection_ms": timed(lambda: keyword_search(store, "baning cening doting", 40, one), args.repeats),
        }
        store.close()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
