"""Collections in the store: (collection, doc_id) identity, filters that never leave the
readable collections, and the migration of a data directory from before collections."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from index.chunk import Chunker
from index.store import Filters, Store, valid_collection
from index.stories import StoryClusterer
from index.vectors import VectorIndex
from rag.bm25 import keyword_search
from tests.unit.test_store import DIM, _article, _vectors

# The schema every data directory had before collections (copied from index/store.py as it was, now index/store/schema.py).
OLD_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE documents (
    doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, date TEXT, source TEXT, path TEXT,
    sha256 TEXT NOT NULL, text TEXT NOT NULL, ingested_at TEXT NOT NULL
);
CREATE TABLE chunks (
    chunk_id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, start_char INTEGER NOT NULL, end_char INTEGER NOT NULL,
    tokens INTEGER NOT NULL, text TEXT NOT NULL, vector BLOB NOT NULL
);
CREATE INDEX chunks_by_doc ON chunks(doc_id);
CREATE INDEX documents_by_date ON documents(date);
CREATE VIRTUAL TABLE chunks_fts USING fts5(text, content='chunks', content_rowid='chunk_id', tokenize='porter unicode61');
CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, text) VALUES (new.chunk_id, new.text);
END;
CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.chunk_id, old.text);
END;
INSERT INTO meta VALUES ('generation', '7');
"""
# The story table issue 17's news work added before collections (copied as it was).
OLD_NEWS = """
CREATE TABLE news (
    doc_id TEXT PRIMARY KEY REFERENCES documents(doc_id) ON DELETE CASCADE,
    story_id TEXT NOT NULL, minhash BLOB NOT NULL, byline TEXT
);
CREATE INDEX news_by_story ON news(story_id);
"""
WIRE = (
    "Engineers in Kestrel finished replacing all 140 steel cables of the harbour bridge on Monday, eight months after "
    "cracks were found during a routine inspection. The work cost 32 million euros, four million more than planned."
)


def _put(store: Store, doc_id: str, text: str, collection: str, seed: int = 0) -> None:
    article = _article(doc_id, text)
    chunks = Chunker(max_tokens=16, overlap_tokens=0).chunk(article)
    store.upsert([(article, chunks, _vectors(len(chunks), seed))], collection=collection)


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "rag.sqlite3")


def _collections_of(store: Store, hits) -> set[str]:
    return {c.collection for c in store.chunks([cid for cid, _ in hits]).values()}


def test_one_doc_id_in_two_collections_is_two_documents(store):
    _put(store, "report", "Macron spoke in Paris on Monday.", "news")
    _put(store, "report", "The support desk opens at nine.", "support")
    assert store.document("report", "news").text.startswith("Macron")
    assert store.document("report", "support").text.startswith("The support desk")
    assert store.document("report") is None  # not in `default`
    assert store.delete("report", "news")
    assert store.document("report", "news") is None and store.document("report", "support") is not None
    assert [c.doc_id for c in store.chunks(store.chunk_ids().tolist()).values()] == ["report"]


def test_every_filter_stays_inside_the_readable_collections(store):
    _put(store, "a", "Macron spoke in Paris.", "news", seed=1)
    _put(store, "b", "Macron visited the support desk.", "support", seed=2)
    news = Filters().within(frozenset({"news"}))
    assert _collections_of(store, keyword_search(store, "Macron", 10, news)) == {"news"}
    # naming the other collection's document or the other collection itself finds nothing
    assert keyword_search(store, "Macron", 10, Filters(doc_ids=("b",)).within(frozenset({"news"}))) == []
    assert Filters(collections=("support",)).within(frozenset({"news"})).collections == ()
    assert keyword_search(store, "Macron", 10, Filters(collections=("support",)).within(frozenset({"news"}))) == []
    assert len(store.chunk_ids(Filters(collections=()))) == 0, "no readable collection reads nothing, not everything"
    assert [d.collection for d in store.documents(news)] == ["news"]
    # a request may narrow within what it may read
    both = frozenset({"news", "support"})
    assert _collections_of(store, keyword_search(store, "Macron", 10, Filters(collections=("support",)).within(both))) == {"support"}


def test_dense_search_never_returns_an_unreadable_chunk(store, tmp_path):
    for n in range(6):
        _put(store, f"doc{n}", f"Story number {n} about the budget.", "news" if n % 2 else "support", seed=n)
    vectors = VectorIndex(store, tmp_path, "IDMap,Flat", DIM)
    query = _vectors(1, 99)[0]
    hits = vectors.search(query, 50, Filters().within(frozenset({"news"})))
    assert hits and _collections_of(store, hits) == {"news"}
    assert vectors.search(query, 50, Filters().within(frozenset())) == []


@pytest.mark.parametrize("name", ["", "a b", "../x", "x" * 65, "ü"])
def test_a_bad_collection_name_is_refused_before_writing(store, name):
    with pytest.raises(ValueError, match="invalid collection name"):
        valid_collection(name)
    with pytest.raises(ValueError, match="invalid collection name"):
        _put(store, "a", "Some text.", name)
    assert store.counts() == (0, 0)


def test_an_old_data_directory_migrates_into_default_on_first_open(tmp_path):
    path = tmp_path / "rag.sqlite3"
    con = sqlite3.connect(path)
    con.executescript(OLD_SCHEMA)
    vector = np.ones(DIM, np.float32).tobytes()
    con.execute("INSERT INTO documents VALUES ('old', 'Old', '2024-01-02', 'wire', NULL, 'h', 'Merkel met Macron.', 't')")
    con.execute("INSERT INTO chunks VALUES (41, 'old', 0, 0, 18, 4, 'Merkel met Macron.', ?)", (vector,))
    con.commit()
    con.close()

    store = Store(path)
    doc = store.document("old")
    assert doc is not None and doc.collection == "default" and doc.chunks == 1 and doc.source == "wire"
    assert store.chunk_ids().tolist() == [41], "chunk ids survive: FAISS snapshots stay valid"
    assert keyword_search(store, "Merkel", 5) == [(41, pytest.approx(keyword_search(store, "Merkel", 5)[0][1]))]
    assert store.generation() == 7
    _put(store, "old", "A new article in another team.", "other")
    assert min(store.chunk_ids(Filters(collections=("other",))).tolist()) > 41, "ids are never reused"
    assert store.delete("old") and store.counts()[1] == 1, "deleting a document still deletes its chunks"
    assert keyword_search(store, "Merkel", 5) == []
    store.close()
    Store(path).close()  # a second open finds nothing to migrate


def _put_story(store: Store, clusterer: StoryClusterer, doc_id: str, text: str, collection: str) -> str:
    """What the ingestor does for one article: assign its story, then commit both together."""
    article = _article(doc_id, text)
    chunks = Chunker(max_tokens=16, overlap_tokens=0).chunk(article)
    story = clusterer.assign(article, collection)
    store.upsert([(article, chunks, _vectors(len(chunks), 0))], collection=collection, stories={doc_id: (story.story_id, story.minhash)})
    clusterer.committed()
    return story.story_id


def test_stories_and_their_outlets_stay_inside_one_collection(store):
    clusterer = StoryClusterer(store)
    assert _put_story(store, clusterer, "gull", WIRE, "news") == "gull"
    assert _put_story(store, clusterer, "heron", "Bridge reopens. " + WIRE, "news") == "gull", "a copy joins the story"
    # the same copy in another collection, even under the same doc_id, starts that collection's own story
    assert _put_story(store, clusterer, "kite", WIRE, "support") == "kite"
    assert _put_story(store, clusterer, "gull", WIRE, "support") == "kite"
    assert store.stories(["gull", "heron"], "news") == {"gull": "gull", "heron": "gull"}
    assert store.stories(["gull", "kite", "unknown"], "support") == {"gull": "kite", "kite": "kite", "unknown": "unknown"}
    assert [o.doc_id for o in store.outlets(["gull"], "news")["gull"]] == ["gull", "heron"]
    assert [o.doc_id for o in store.outlets(["kite", "gull"], "support")["kite"]] == ["gull", "kite"]
    assert store.outlets(["gull"], "support") == {"gull": []}, "a story id of news names nothing in support"
    # a fresh clusterer (another process) rebuilds the same per-collection view from the stored rows
    assert _put_story(store, StoryClusterer(store), "tern", WIRE + " Our reporter will follow it.", "support") == "kite"

    assert store.delete("gull", "news")
    assert [d for d, _, _ in store.story_signatures("news")] == ["heron"], "deleting a document deletes its story row"
    assert sorted(d for d, _, _ in store.story_signatures("support")) == ["gull", "kite", "tern"]


def test_story_rows_from_before_collections_move_into_default(tmp_path):
    path = tmp_path / "rag.sqlite3"
    con = sqlite3.connect(path)
    con.executescript(OLD_SCHEMA + OLD_NEWS)
    vector = np.ones(DIM, np.float32).tobytes()
    minhash = np.arange(128, dtype=np.uint32).tobytes()
    for doc_id in ("old", "copy"):
        con.execute("INSERT INTO documents VALUES (?, 'Old', '2024-01-02', 'wire', NULL, 'h', 'Merkel met Macron.', 't')", (doc_id,))
        con.execute("INSERT INTO news VALUES (?, 'old', ?, 'A. Writer')", (doc_id, minhash))
    con.execute("INSERT INTO chunks VALUES (41, 'old', 0, 0, 18, 4, 'Merkel met Macron.', ?)", (vector,))
    con.commit()
    con.close()

    store = Store(path)
    assert store.stories(["old", "copy"]) == {"old": "old", "copy": "old"}, "story rows move into default"
    assert sorted(store.story_signatures()) == [("copy", "old", minhash), ("old", "old", minhash)], "signatures kept"
    assert store.delete("copy") and store.stories(["copy"]) == {"copy": "copy"}, "a delete takes its story row along"
    # writing still works (a foreign key onto the no longer unique documents.doc_id would refuse it)
    assert _put_story(store, StoryClusterer(store), "old", "Merkel met Macron.", "other") == "old"
    assert [o.doc_id for o in store.outlets(["old"])["old"]] == ["old"], "the other collection's copy is not an outlet"
    store.close()
    again = Store(path)  # a second open finds nothing to migrate
    assert sorted(d for d, _, _ in again.story_signatures()) == ["old"]
    again.close()
