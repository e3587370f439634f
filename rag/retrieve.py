"""Hybrid retrieval: dense (FAISS) and BM25 (SQLite FTS5) over the same chunks, fused by rank.

Dense retrieval finds paraphrases; BM25 finds the exact names and numbers news questions
hinge on, which a small embedding model blurs. Reciprocal rank fusion needs no score
calibration between the two, which is why it is used rather than a weighted sum.

Access is enforced here, not after answering: `filters.collections` (the caller's readable
collections, set by the server from its key) restricts the dense search through a FAISS id
selector and the BM25 search through its SQL, so a passage of another collection is never
scored, read or cited; every other filter applies inside those same collections.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from index.embed import Embedder
from index.store import Filters, Store, StoredChunk
from index.vectors import VectorIndex
from rag.bm25 import keyword_search
from rag.types import Passage


class Retriever:
    """Dense and BM25 candidates, fused by reciprocal rank, one copy of each story."""

    def __init__(
        self,
        store: Store,
        vectors: VectorIndex,
        embedder: Embedder,
        *,
        candidates: int,
        rrf_k: int,
        dense_weight: float,
        bm25_weight: float,
        boost_weight: float,
        one_copy_per_story: bool,
    ) -> None:
        """No defaults: the values come from Settings (rag/service.py), so they cannot disagree."""
        self.store = store
        self.vectors = vectors
        self.embedder = embedder
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.dense_weight = dense_weight
        self.bm25_weight = bm25_weight
        self.boost_weight = boost_weight
        self.one_copy_per_story = one_copy_per_story

    def retrieve(
        self,
        query: str,
        top_k: int,
        filters: Filters | None = None,
        boost_doc_ids: Iterable[str] = (),
        timings: dict[str, float] | None = None,
    ) -> list[Passage]:
        """Top passages for a query; `boost_doc_ids` (the documents a conversation is about)
        get `boost_weight` of a fused rank-1 vote: a tie-breaker, not an override, so a
        follow-up whose answer is in another article still finds it."""
        timings = timings if timings is not None else {}
        self.vectors.refresh()
        n = max(self.candidates, top_k)

        t = time.perf_counter()
        query_vector = self.embedder.embed_query(query)
        timings["embed_ms"] = 1000 * (time.perf_counter() - t)

        t = time.perf_counter()
        dense = self.vectors.search(query_vector, n, filters)
        timings["dense_ms"] = 1000 * (time.perf_counter() - t)

        t = time.perf_counter()
        keyword = keyword_search(self.store, query, n, filters)
        timings["bm25_ms"] = 1000 * (time.perf_counter() - t)

        t = time.perf_counter()
        fused: dict[int, float] = {}
        for weight, hits in ((self.dense_weight, dense), (self.bm25_weight, keyword)):
            for rank, (chunk_id, _) in enumerate(hits, start=1):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (self.rrf_k + rank)
        chunks = self.store.chunks(sorted(fused, key=fused.__getitem__, reverse=True)[:n])
        boosted = set(boost_doc_ids)
        if boosted:
            for chunk_id, chunk in chunks.items():
                if chunk.doc_id in boosted:
                    fused[chunk_id] += self.boost_weight / (self.rrf_k + 1)
        ranked = sorted(chunks.values(), key=lambda c: fused[c.chunk_id], reverse=True)
        stories = self._stories(ranked)
        if self.one_copy_per_story:
            ranked = _one_copy_per_story(ranked, stories)
        ranked = ranked[:top_k]
        timings["fuse_ms"] = 1000 * (time.perf_counter() - t)
        return [
            Passage(
                chunk_id=c.chunk_id,
                doc_id=c.doc_id,
                collection=c.collection,
                title=c.title,
                date=c.date,
                source=c.source,
                start=c.start,
                end=c.end,
                text=c.text,
                score=round(fused[c.chunk_id], 6),
                story_id=stories[(c.collection, c.doc_id)],
            )
            for c in ranked
        ]

    def _stories(self, chunks: list[StoredChunk]) -> dict[tuple[str, str], str]:
        """(collection, doc_id) → story_id, each looked up within its own collection."""
        doc_ids: dict[str, list[str]] = {}
        for c in chunks:
            doc_ids.setdefault(c.collection, []).append(c.doc_id)
        return {
            (collection, doc_id): story_id
            for collection, ids in doc_ids.items()
            for doc_id, story_id in self.store.stories(ids, collection).items()
        }


def _one_copy_per_story(ranked: list[StoredChunk], stories: dict[tuple[str, str], str]) -> list[StoredChunk]:
    """Passages of the best-ranked copy of each story only: another site's copy of the same
    wire report adds no evidence, and would push other reporting out of the top-k. Several
    passages of that one copy stay (an article may answer in its third paragraph). A story is
    one collection's: copies in two collections are two stories, so what one caller reads never
    depends on a collection it cannot read."""
    reader_of: dict[tuple[str, str], str] = {}
    kept = []
    for chunk in ranked:
        story = (chunk.collection, stories[(chunk.collection, chunk.doc_id)])
        if reader_of.setdefault(story, chunk.doc_id) == chunk.doc_id:
            kept.append(chunk)
    return kept
