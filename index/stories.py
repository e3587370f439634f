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

from index.store import DEFAULT_COLLECTION, Store
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


class _CollectionIndex:
    """The LSH index and signatures of one collection's stored stories."""

    def __init__(self, store: Store, collection: str, threshold: float) -> None:
        self.lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self.signatures: dict[str, MinHash] = {}
        self.stories: dict[str, str] = {}
        for doc_id, story_id, blob in store.story_signatures(collection):
            self.add(doc_id, story_id, _from_bytes(blob))

    def add(self, doc_id: str, story_id: str, minhash: MinHash) -> None:
        self.lsh.insert(doc_id, minhash)
        self.signatures[doc_id] = minhash
        self.stories[doc_id] = story_id

    def forget(self, doc_id: str) -> None:
        if doc_id in self.signatures:
            self.lsh.remove(doc_id)
            del self.signatures[doc_id], self.stories[doc_id]


class StoryClusterer:
    """Assigns articles to stories against everything stored in their own collection.

    Stories never cross collections: a copy held by another team is that team's story, so
    which story an article joins, and which outlets a citation names, depend only on what the
    caller may read. The LSH indexes live in memory, one per collection, built from the stored
    signatures on first use and rebuilt when another writer (a second `rag ingest`, the feed
    watcher, an upload over HTTP) has changed the store since."""

    def __init__(self, store: Store, threshold: float = 0.5) -> None:
        self.store = store
        self.threshold = threshold
        self._indexes: dict[str, _CollectionIndex] = {}
        self._generation = -1

    def _index(self, collection: str) -> _CollectionIndex:
        if self.store.generation() != self._generation:
            self._indexes = {}
            self._generation = self.store.generation()
        if collection not in self._indexes:
            self._indexes[collection] = _CollectionIndex(self.store, collection, self.threshold)
        return self._indexes[collection]

    def assign(self, article: Article, collection: str = DEFAULT_COLLECTION) -> StoryAssignment:
        """The story of the most similar article of `collection` already known (stored or
        assigned earlier in this run), or a new story named after this article."""
        index = self._index(collection)
        index.forget(article.doc_id)  # a replaced article no longer anchors its old story
        minhash = signature(article.text[article.body_start :])
        matches = [(index.signatures[d].jaccard(minhash), d) for d in index.lsh.query(minhash)]
        matches = [(j, d) for j, d in matches if j >= self.threshold]
        story_id = index.stories[max(matches)[1]] if matches else article.doc_id
        index.add(article.doc_id, story_id, minhash)
        return StoryAssignment(story_id, minhash.hashvalues.astype(np.uint32).tobytes())

    def committed(self) -> None:
        """Our own write moved the store's generation: the indexes already hold it."""
        self._generation = self.store.generation()

    def reset(self) -> None:
        """A write failed: what was assigned for it is not in the store, so rebuild on next use."""
        self._indexes = {}
        self._generation = -1
