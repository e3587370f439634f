"""SQLite store and FAISS snapshots: replace, delete, keyword search, filters, recovery."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from index.chunk import Chunker
from index.store import Filters, Store, StoreError
from index.types import Article
from index.vectors import VectorIndex, latest_snapshot, snapshot_path, write_snapshot
from rag.bm25 import keyword_search

DIM = 8


def _article(doc_id: str, text: str, date: str | None = None, source: str | None = None) -> Article:
    return Article(doc_id, doc_id.title(), text, dt.date.fromisoformat(date) if date else None, source)


def _vectors(n: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _put(store: Store, article: Article, seed: int = 0) -> None:
    chunks = Chunker(max_tokens=16, overlap_tokens=0).chunk(article)
    store.upsert([(article, chunks, _vectors(len(chunks), seed))])


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "rag.sqlite3")


def test_replace_swaps_all_chunks_and_bumps_generation(store):
    _put(store, _article("a", "Alpha one. Alpha two. Alpha three. " * 5))
    g1 = store.generation()
    old_ids = set(store.chunk_ids().tolist())
    _put(store, _article("a", "Beta only."))
    assert store.generation() > g1
    ids = store.chunk_ids().tolist()
    assert len(ids) == 1 and not old_ids & set(ids), "ids are never reused"
    assert store.chunks(ids)[ids[0]].text == "Beta only."
    assert keyword_search(store, "alpha", 10) == []


def test_delete_removes_document_chunks_and_keyword_entries(store):
    _put(store, _article("a", "Macron spoke in Paris."))
    _put(store, _article("b", "Scholz spoke in Berlin."))
    assert store.delete("a") and not store.delete("a")
    assert store.document("a") is None
    assert [store.chunks([cid])[cid].doc_id for cid, _ in keyword_search(store, "spoke", 10)] == ["b"]


def test_filters_by_date_source_and_doc(store):
    _put(store, _article("old", "Sanctions news.", "2022-03-01", "AFP"))
    _put(store, _article("new", "Sanctions news.", "2025-09-09", "Reuters"))
    _put(store, _article("undated", "Sanctions news."))

    def docs(f: Filters) -> set[str]:
        return {store.chunks([c])[c].doc_id for c, _ in keyword_search(store, "sanctions", 10, f)}

    assert docs(Filters(since=dt.date(2025, 1, 1))) == {"new"}
    assert docs(Filters(until=dt.date(2023, 1, 1))) == {"old"}
    assert docs(Filters(sources=("AFP",))) == {"old"}
    assert docs(Filters(doc_ids=("undated", "old"))) == {"undated", "old"}


def test_vector_snapshot_follows_the_store(store, tmp_path):
    _put(store, _article("a", "One. Two. Three. " * 4), seed=1)
    write_snapshot(tmp_path, store, "IDMap,Flat", DIM)
    vi = VectorIndex(store, tmp_path, "IDMap,Flat", DIM)
    assert len(vi) == len(store.chunk_ids())
    # a change made by another process is picked up without a restart
    _put(store, _article("b", "Four. Five."), seed=2)
    assert vi.refresh()
    b_ids = store.chunk_ids(Filters(doc_ids=("b",)))
    query = store.vectors(b_ids[:1], DIM)[0]
    assert vi.search(query, 1)[0][0] == b_ids[0]
    assert all(cid in set(b_ids.tolist()) for cid, _ in vi.search(query, 5, Filters(doc_ids=("b",))))
    store.delete("b")
    vi.refresh()
    assert not set(b_ids.tolist()) & {cid for cid, _ in vi.search(query, 50)}


def test_missing_or_corrupt_snapshot_is_rebuilt_from_the_database(store, tmp_path):
    _put(store, _article("a", "One. Two. Three. " * 4), seed=1)
    path = write_snapshot(tmp_path, store, "IDMap,Flat", DIM)
    path.write_bytes(b"garbage")
    assert len(VectorIndex(store, tmp_path, "IDMap,Flat", DIM)) == len(store.chunk_ids())
    path.unlink()
    assert len(VectorIndex(store, tmp_path, "IDMap,Flat", DIM)) == len(store.chunk_ids())
    _put(store, _article("b", "Four."), seed=3)
    new = write_snapshot(tmp_path, store, "IDMap,Flat", DIM)
    assert new == snapshot_path(tmp_path, store.generation()) and latest_snapshot(tmp_path)[1] == new


def test_other_index_types_via_factory_string(store, tmp_path):
    _put(store, _article("a", "One. Two. Three. " * 6), seed=1)
    vi = VectorIndex(store, tmp_path, "IDMap,HNSW16,Flat", DIM, "efSearch=32")
    ids = store.chunk_ids()
    assert vi.search(store.vectors(ids[:1], DIM)[0], 1)[0][0] == ids[0]
    store.delete("a")
    _put(store, _article("b", "Four. Five."), seed=2)
    vi.refresh()  # HNSW cannot remove: rebuilt from the store instead
    assert len(vi) == len(store.chunk_ids())


def test_unreadable_database_gives_a_rebuild_hint(tmp_path):
    path = tmp_path / "rag.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="rebuild"):
        Store(path)


def test_embedding_model_mismatch_is_refused(store):
    store.check_embedding_model("model-a", 384)
    store.check_embedding_model("model-a", 384)
    with pytest.raises(StoreError, match="model-a"):
        store.check_embedding_model("model-b", 768)
