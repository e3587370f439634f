"""Story clusters: the same wire story republished by several sites is one story.

News sites run agency copy under their own headlines and boilerplate, lightly trimmed. Left
alone, five copies of one report fill the top-k and read as five independent confirmations.
At ingest each article's body gets a MinHash signature of its word shingles; an LSH index
finds stored articles whose shingles overlap by about `threshold` (Jaccard) or more, and the
new article joins the story of the most similar one, else starts its own. Two different
reports of the same event share names and topic words but few word sequences, so they stay
apart (eval/clusters.py measures both).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash, MinHashLSH

from index.store import Store
from index.types import Article

NUM_PERM = 128
SHINGLE_WORDS = 3
_SCHEME = "affine32"  # datasketch's hashing scheme; stored signatures are only comparable under it
_WORD = re.compile(r"\w+")


def signature(text: str) -> MinHash:
    """MinHash of the text's word 3-grams, case and punctuation ignored (a copy edited for
    house style still matches)."""
    words = _WORD.findall(text.lower())
    shingles = {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(max(len(words) - SHINGLE_WORDS + 1, 1))}
    minhash = MinHash(num_perm=NUM_PERM, scheme=_SCHEME)
    minhash.update_batch([s.encode() for s in shingles])
    return minhash


def _from_bytes(blob: bytes) -> MinHash:
    return MinHash(num_perm=NUM_PERM, scheme=_SCHEME, hashvalues=np.frombuffer(blob, dtype=np.uint32))


@dataclass(frozen=True)
class StoryAssignment:
    story_id: str
    minhash: bytes


class StoryClusterer:
    """Assigns articles to stories against everything in the store.

    The LSH index lives in memory, built from the stored signatures on first use and rebuilt
    when another writer (a second `rag ingest`, the feed watcher) has changed the store since."""

    def __init__(self, store: Store, threshold: float = 0.5) -> None:
        self.store = store
        self.threshold = threshold
        self._lsh: MinHashLSH | None = None
        self._signatures: dict[str, MinHash] = {}
        self._stories: dict[str, str] = {}
        self._generation = -1

    def _index(self) -> MinHashLSH:
        if self._lsh is None or self.store.generation() != self._generation:
            self._lsh = MinHashLSH(threshold=self.threshold, num_perm=NUM_PERM)
            self._signatures, self._stories = {}, {}
            for doc_id, story_id, blob in self.store.story_signatures():
                self._add(doc_id, story_id, _from_bytes(blob))
            self._generation = self.store.generation()
        return self._lsh

    def _add(self, doc_id: str, story_id: str, minhash: MinHash) -> None:
        self._lsh.insert(doc_id, minhash)
        self._signatures[doc_id] = minhash
        self._stories[doc_id] = story_id

    def forget(self, doc_id: str) -> None:
        """An article that is replaced or deleted no longer anchors its story."""
        if self._lsh is not None and doc_id in self._signatures:
            self._lsh.remove(doc_id)
            del self._signatures[doc_id], self._stories[doc_id]

    def assign(self, article: Article) -> StoryAssignment:
        """The story of the most similar article already known (stored or assigned earlier in
        this run), or a new story named after this article."""
        lsh = self._index()
        self.forget(article.doc_id)
        minhash = signature(article.text[article.body_start :])
        matches = [(self._signatures[d].jaccard(minhash), d) for d in lsh.query(minhash)]
        matches = [(j, d) for j, d in matches if j >= self.threshold]
        story_id = self._stories[max(matches)[1]] if matches else article.doc_id
        self._add(article.doc_id, story_id, minhash)
        return StoryAssignment(story_id, minhash.hashvalues.astype(np.uint32).tobytes())

    def committed(self) -> None:
        """Our own write moved the store's generation: the index already holds it."""
        self._generation = self.store.generation()

    def reset(self) -> None:
        """A write failed: what was assigned for it is not in the store, so rebuild on next use."""
        self._lsh = None
