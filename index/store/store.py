"""The one source of truth: articles, chunks, vectors and a full-text index in SQLite.

Every document belongs to one collection (`default` unless said) and is identified by
(collection, doc_id), so two teams may hold the same doc_id as two documents. Chunks carry
their document's collection, so a search restricted to some collections filters on the
chunk table alone, before anything is scored.

Each document is written in a single transaction (its old chunks out, its new chunks
and vectors in), so a crash at any point leaves every document either wholly old or
wholly new. FAISS files are snapshots derived from this database and can always be
rebuilt from it; `generation` counts committed changes so readers know when to refresh.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from index.errors import RagError
from index.store.collection import DEFAULT_COLLECTION, valid_collection
from index.store.connection import ThreadConnections, write_transaction
from index.store.filters import Filters
from index.store.records import StoredChunk, StoredDocument, StoredOutlet, stored_date
from index.store.schema import create_schema
from index.types import Article, Chunk


class StoreError(RagError):
    """The store cannot be used as it is; the message says how to fix it."""


def article_hash(article: Article, recipe: str = "") -> str:
    """What the stored chunks were made from: the article and the recipe (chunking, embedding)."""
    key = "\x1f".join([article.title, str(article.date), article.source or "", article.text, str(article.body_start), recipe])
    return hashlib.sha256(key.encode()).hexdigest()


class Store:
    """SQLite in WAL mode: one writer at a time, any number of readers on a consistent snapshot."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._connections = ThreadConnections(self.path)
        try:
            create_schema(self.connection)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"the database {self.path} is unreadable ({exc}); move it away and rebuild with `rag ingest seeds/`") from exc

    @property
    def connection(self) -> sqlite3.Connection:
        """The calling thread's connection; also for searches that live beside their callers
        (BM25 in rag/bm25.py)."""
        return self._connections.get()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that also moves `generation`, so readers know to refresh."""
        with write_transaction(self.connection) as con:
            yield con
            con.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Several reads that must see one state of the database (WAL keeps it while we read)."""
        con = self.connection
        if con.in_transaction:  # already inside one: it is the snapshot
            yield
            return
        con.execute("BEGIN")
        try:
            yield
        finally:
            con.execute("COMMIT")

    def close(self) -> None:
        self._connections.close()

    # --- meta ---------------------------------------------------------------------------

    def generation(self) -> int:
        return int(self.connection.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])

    def check_embedding_model(self, name: str, dim: int) -> None:
        """Vectors from different models must never share one index."""
        row = self.connection.execute("SELECT value FROM meta WHERE key = 'embedding_model'").fetchone()
        if row is None:
            with self._write() as con:
                con.execute("INSERT OR REPLACE INTO meta VALUES ('embedding_model', ?)", (f"{name}|{dim}",))
        elif row[0] != f"{name}|{dim}":
            raise StoreError(
                f"{self.path} was built with the embedding model {row[0].split('|')[0]!r}, not {name!r}; "
                "use that model or ingest into a new data directory"
            )

    # --- writes -------------------------------------------------------------------------

    def is_current(self, article: Article, recipe: str = "", collection: str = DEFAULT_COLLECTION) -> bool:
        row = self.connection.execute(
            "SELECT sha256 FROM documents WHERE collection = ? AND doc_id = ?", (collection, article.doc_id)
        ).fetchone()
        return row is not None and row[0] == article_hash(article, recipe)

    def upsert(
        self,
        items: Iterable[tuple[Article, list[Chunk], np.ndarray]],
        recipe: str = "",
        collection: str = DEFAULT_COLLECTION,
        stories: Mapping[str, tuple[str, bytes]] | None = None,
    ) -> None:
        """Replace each article and its chunks in `collection`, all in one transaction;
        `stories` maps a doc_id to its (story_id, MinHash signature) within that collection."""
        valid_collection(collection)
        stories = stories or {}
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._write() as con:
            for article, chunks, vectors in items:
                if len(chunks) != len(vectors):
                    raise ValueError("one vector per chunk")
                con.execute("DELETE FROM documents WHERE collection = ? AND doc_id = ?", (collection, article.doc_id))
                con.execute(
                    "INSERT INTO documents (collection, doc_id, title, date, source, path, sha256, text, ingested_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        collection,
                        article.doc_id,
                        article.title,
                        article.date.isoformat() if article.date else None,
                        article.source,
                        article.path,
                        article_hash(article, recipe),
                        article.text,
                        now,
                    ),
                )
                con.executemany(
                    "INSERT INTO chunks (collection, doc_id, ordinal, start_char, end_char, tokens, text, vector)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (collection, c.doc_id, c.ordinal, c.start, c.end, c.tokens, c.text, np.asarray(v, np.float32).tobytes())
                        for c, v in zip(chunks, vectors)
                    ],
                )
                if article.doc_id in stories:
                    story_id, minhash = stories[article.doc_id]
                    con.execute(
                        "INSERT INTO news (collection, doc_id, story_id, minhash, byline) VALUES (?, ?, ?, ?, ?)",
                        (collection, article.doc_id, story_id, minhash, article.byline),
                    )

    def delete(self, doc_id: str, collection: str = DEFAULT_COLLECTION) -> bool:
        with self._write() as con:
            return con.execute("DELETE FROM documents WHERE collection = ? AND doc_id = ?", (collection, doc_id)).rowcount > 0

    # --- reads --------------------------------------------------------------------------

    def document(self, doc_id: str, collection: str = DEFAULT_COLLECTION) -> StoredDocument | None:
        found = self._documents("d.collection = ? AND d.doc_id = ?", [collection, doc_id], with_text=True)
        return found[0] if found else None

    def documents(self, filters: Filters | None = None, with_text: bool = False) -> list[StoredDocument]:
        """The documents `filters` admit (its collections, doc ids, dates, sources), by collection then doc_id."""
        where, params = (filters or Filters()).sql()
        return self._documents(where, params, with_text)

    def _documents(self, where: str, params: list, with_text: bool) -> list[StoredDocument]:
        text = "d.text" if with_text else "''"
        rows = self.connection.execute(
            f"SELECT d.doc_id, d.title, d.date, d.source, d.path, d.sha256, {text},"
            " (SELECT COUNT(*) FROM chunks c WHERE c.collection = d.collection AND c.doc_id = d.doc_id),"
            f" d.collection, d.ingested_at FROM documents d WHERE {where} ORDER BY d.collection, d.doc_id",
            params,
        ).fetchall()
        return [StoredDocument(r[0], r[1], stored_date(r[2]), r[3], r[4], r[5], r[6], r[7], r[8], r[9]) for r in rows]

    def collections(self) -> list[str]:
        return [r[0] for r in self.connection.execute("SELECT DISTINCT collection FROM documents ORDER BY collection")]

    def counts(self) -> tuple[int, int]:
        docs = self.connection.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        chunks = self.connection.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        return docs, chunks

    def chunks(self, chunk_ids: list[int]) -> dict[int, StoredChunk]:
        """Chunks by id with their document's metadata; ids deleted since a snapshot are absent."""
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        rows = self.connection.execute(
            "SELECT c.chunk_id, c.doc_id, c.ordinal, c.start_char, c.end_char, c.text, d.title, d.date, d.source, d.collection"
            f" FROM chunks c JOIN documents d USING (collection, doc_id) WHERE c.chunk_id IN ({marks})",
            chunk_ids,
        ).fetchall()
        return {r[0]: StoredChunk(r[0], r[1], r[2], r[3], r[4], r[5], r[6], stored_date(r[7]), r[8], r[9]) for r in rows}

    def chunk_ids(self, filters: Filters | None = None) -> np.ndarray:
        where, params = (filters or Filters()).sql()
        rows = self.connection.execute(
            f"SELECT c.chunk_id FROM chunks c JOIN documents d USING (collection, doc_id) WHERE {where}", params
        ).fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def vectors(self, chunk_ids: np.ndarray, dim: int) -> np.ndarray:
        out = np.zeros((len(chunk_ids), dim), dtype=np.float32)
        for lo in range(0, len(chunk_ids), 900):
            part = [int(i) for i in chunk_ids[lo : lo + 900]]
            rows = dict(
                self.connection.execute(
                    f"SELECT chunk_id, vector FROM chunks WHERE chunk_id IN ({','.join('?' * len(part))})", part
                ).fetchall()
            )
            for k, cid in enumerate(part):
                out[lo + k] = np.frombuffer(rows[cid], dtype=np.float32)
        return out

    def story_signatures(self, collection: str = DEFAULT_COLLECTION) -> list[tuple[str, str, bytes]]:
        """(doc_id, story_id, MinHash signature) of every clustered document of `collection`."""
        return self.connection.execute("SELECT doc_id, story_id, minhash FROM news WHERE collection = ?", (collection,)).fetchall()

    def stories(self, doc_ids: Iterable[str], collection: str = DEFAULT_COLLECTION) -> dict[str, str]:
        """doc_id → story_id within `collection`; a document without a cluster is its own story."""
        doc_ids = list(dict.fromkeys(doc_ids))
        found: dict[str, str] = {}
        for lo in range(0, len(doc_ids), 900):
            part = doc_ids[lo : lo + 900]
            found |= dict(
                self.connection.execute(
                    f"SELECT doc_id, story_id FROM news WHERE collection = ? AND doc_id IN ({','.join('?' * len(part))})",
                    [collection, *part],
                ).fetchall()
            )
        return {d: found.get(d, d) for d in doc_ids}

    def outlets(self, story_ids: Iterable[str], collection: str = DEFAULT_COLLECTION) -> dict[str, list[StoredOutlet]]:
        """Every copy of each story stored in `collection`, oldest first: whoever may read a
        passage may read its collection, and no other collection is ever looked at."""
        story_ids = list(dict.fromkeys(story_ids))
        if not story_ids:
            return {}
        rows = self.connection.execute(
            "SELECT n.story_id, d.doc_id, d.source, d.date FROM news n JOIN documents d USING (collection, doc_id)"
            f" WHERE n.collection = ? AND n.story_id IN ({','.join('?' * len(story_ids))}) ORDER BY d.date, d.doc_id",
            [collection, *story_ids],
        ).fetchall()
        out: dict[str, list[StoredOutlet]] = {s: [] for s in story_ids}
        for story_id, doc_id, source, date in rows:
            out[story_id].append(StoredOutlet(doc_id, source, stored_date(date)))
        return out
