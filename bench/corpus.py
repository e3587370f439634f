"""A news-like corpus generated at run time, never committed.

Articles are recombined from real news sentences (the MultiHop-RAG corpus, ODC-BY, when
/work/shared/datasets has it; else the seed articles), so chunk lengths, vocabulary and
sentence boundaries are those of real news while the corpus size is ours to choose.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import random
from pathlib import Path

from index.parse import parse_file
from index.sentences import sentence_spans
from rag.settings import REPO_ROOT

SEEDS_DIR = REPO_ROOT / "seeds"
MULTIHOP_CORPUS = REPO_ROOT.parent / "shared" / "datasets" / "multihoprag-corpus.json.gz"
SOURCES = ("Reuters", "AFP", "AP", "BBC News", "The Guardian", "Bloomberg", "Le Monde", "Der Spiegel")


def _sentences(text: str) -> list[str]:
    """Whole sentences of ordinary length: menus, bylines and run-ons would make odd chunks."""
    out = []
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        if 40 <= len(sentence) <= 400 and sentence[-1] in '.!?"”’':
            out.append(sentence)
    return out


def sentence_pool(corpus: Path = MULTIHOP_CORPUS, seeds_dir: Path = SEEDS_DIR) -> list[str]:
    """Distinct sentences from the seed articles and, when available, the MultiHop-RAG articles."""
    texts = [a.text for p in sorted(seeds_dir.glob("*.txt")) for a in parse_file(p)]
    if corpus.exists():
        with gzip.open(corpus, "rt", encoding="utf-8") as fh:
            texts += [record["body"] for record in json.load(fh)]
    return list(dict.fromkeys(s for t in texts for s in _sentences(t)))


def generate_articles(n: int, pool: list[str], seed: int = 7, sentences: tuple[int, int] = (8, 16)) -> list[dict]:
    """`n` articles of a wire story's length (8-16 sentences, 2-4 chunks), as JSONL records."""
    rng = random.Random(seed)
    start = dt.date(2023, 1, 1)
    articles = []
    for i in range(n):
        body = rng.sample(pool, rng.randint(*sentences))
        articles.append(
            {
                "id": f"gen-{i:05d}",
                "title": body[0][:100],
                "date": (start + dt.timedelta(days=rng.randrange(3 * 365))).isoformat(),
                "source": rng.choice(SOURCES),
                "text": " ".join(body),
            }
        )
    return articles


def write_jsonl(records: list[dict], path: Path) -> int:
    """Write one JSON object per line; returns the number of bytes of article text written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return sum(len(r["text"].encode("utf-8")) for r in records)
