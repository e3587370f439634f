"""Story-cluster precision and recall on generated syndicated copies.

    python -m eval.clusters                      # table over thresholds, default corpus and seed
    python -m eval.clusters --stories 150 --json

Real news articles (the MultiHop-RAG corpus in shared/datasets: 609 articles from many outlets,
often several on one event) are the stories. A sample of them is republished 1-3 times the way
syndication does it: another headline, the site's leftover boilerplate lines, the last
paragraphs trimmed, a few words edited, sometimes a local intro sentence. Every article then goes
through the clusterer that ingest uses (index/stories.py), in a shuffled order.

A pair of articles is a true positive when both are copies of one story and share a cluster.
Precision: of the pairs put together, the share that are copies; recall: of the copy pairs, the
share put together. The untouched articles stay in, so different outlets' reports of the same
event are there to be wrongly merged.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import random
import tempfile
from collections import defaultdict
from pathlib import Path

from index.store import Store
from index.stories import StoryClusterer
from index.types import Article
from rag.settings import REPO_ROOT

CORPUS = REPO_ROOT.parent / "shared" / "datasets" / "multihoprag-corpus.json.gz"
SITES = ("Heron Post", "Tern Times", "The Daily Gull", "Coastal Courier", "Valley Herald")
INTROS = ("Readers in our region will be following this closely.", "This story was first published by a wire agency.")


def syndicate(body: str, site: str, rng: random.Random) -> str:
    """One republished copy of `body` as `site` would run it."""
    paragraphs = [p for p in body.split("\n") if p.strip()]
    keep = max(1, len(paragraphs) - rng.randint(0, max(1, len(paragraphs) // 5)))
    words = "\n".join(paragraphs[:keep]).split(" ")
    for i in rng.sample(range(len(words)), k=min(len(words), max(1, len(words) // 100))):
        words[i] = rng.choice(("said", "reported", "the", "a", "on", "this"))  # house-style edits
    headline = f"{site}: {' '.join(rng.sample(body.split()[:40], k=min(8, len(body.split()[:40]))))}"
    lines = [headline, f"By {site} staff with agencies"]
    if rng.random() < 0.5:
        lines.append(rng.choice(INTROS))
    lines += [" ".join(words), f"© {site}. Sign up for our newsletter. Share this article."]
    return "\n".join(lines)


def build(stories: int, seed: int, corpus: Path) -> list[tuple[Article, int]]:
    """(article, story number): every corpus article once, plus 1-3 copies of `stories` of them."""
    rng = random.Random(seed)
    originals = json.loads(gzip.open(corpus).read())
    items = [(Article(f"orig-{n}", a["title"], a["body"], source=a["source"]), n) for n, a in enumerate(originals)]
    for n in rng.sample(range(len(originals)), stories):
        for k, site in enumerate(rng.sample(SITES, rng.randint(1, 3))):
            items.append((Article(f"copy-{n}-{k}", site, syndicate(originals[n]["body"], site, rng), source=site), n))
    rng.shuffle(items)
    return items


def pairwise(items: list[tuple[Article, int]], assigned: dict[str, str]) -> dict[str, float]:
    by_story, by_cluster = defaultdict(list), defaultdict(list)
    for article, story in items:
        by_story[story].append(article.doc_id)
        by_cluster[assigned[article.doc_id]].append(article.doc_id)
    gold = {frozenset(p) for ids in by_story.values() for p in itertools.combinations(ids, 2)}
    found = {frozenset(p) for ids in by_cluster.values() for p in itertools.combinations(ids, 2)}
    hits = len(gold & found)
    return {
        "copy_pairs": len(gold),
        "merged_pairs": len(found),
        "precision": round(hits / len(found), 4) if found else 1.0,
        "recall": round(hits / len(gold), 4) if gold else 1.0,
    }


def evaluate(items: list[tuple[Article, int]], threshold: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "clusters.sqlite3")
        clusterer = StoryClusterer(store, threshold)
        assigned = {article.doc_id: clusterer.assign(article).story_id for article, _ in items}
        store.close()
    return {"threshold": threshold, "articles": len(items)} | pairwise(items, assigned)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=150, help="corpus articles that get syndicated copies")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.3, 0.4, 0.5, 0.6, 0.7])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not args.corpus.is_file():
        parser.error(f"corpus not found: {args.corpus} (MultiHop-RAG corpus JSON, gzipped)")
    items = build(args.stories, args.seed, args.corpus)
    rows = [evaluate(items, t) for t in args.thresholds]
    if args.json:
        print(json.dumps(rows))
        return 0
    print("| threshold | articles | copy pairs | merged pairs | precision | recall |\n|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['threshold']} | {r['articles']} | {r['copy_pairs']} | {r['merged_pairs']} | {r['precision']:.3f} | {r['recall']:.3f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
