"""The one source of truth: articles, chunks, vectors and a full-text index in SQLite.

Each document is written in a single transaction (its old chunks out, its new chunks
and vectors in), so a crash at any point leaves every document either wholly old or
wholly new. FAISS files are snapshots derived from this database and can always be
rebuilt from it; `generation` counts committed changes so readers know when to refresh.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.spelling import WORD, spelling_variants
from index.types import Article, Chunk

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    date TEXT,
    source TEXT,
    path TEXT,
    sha256 TEXT NOT NULL,
    text TEXT NOT NULL,
    ingested_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    start_char INTEGER NOT NULL,
    end_char INTEGER NOT NULL,
    tokens INTEGER NOT NULL,
    text TEXT NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_doc ON chunks(doc_id);
CREATE INDEX IF NOT EXISTS documents_by_date ON documents(date);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    text, content='chunks', content_rowid='chunk_id', tokenize='porter unicode61'
);
CREATE TRIGGER IF NOT EXISTS chunks_fts_insert AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, text) VALUES (new.chunk_id, new.text);
END;
CREATE TRIGGER IF NOT EXISTS chunks_fts_delete AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.chunk_id, old.text);
END;
-- news metadata of a document: its story cluster (index/stories.py) and byline; an index
-- built before this table existed simply has no clusters until its articles are re-ingested
CREATE TABLE IF NOT EXISTS news (
    doc_id TEXT PRIMARY KEY REFERENCES documents(doc_id) ON DELETE CASCADE,
    story_id TEXT NOT NULL,
    minhash BLOB NOT NULL,
    byline TEXT
);
CREATE INDEX IF NOT EXISTS news_by_story ON news(story_id);
"""


def connect_wal(path: Path) -> sqlite3.Connection:
    """A connection for one thread: autocommit (transactions are explicit), WAL so readers
    never block the writer, foreign keys enforced."""
    con = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA foreign_keys=ON")
    con.execute("PRAGMA synchronous=NORMAL")
    return con


@contextmanager
def write_transaction(con: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """All of the block or none of it; IMMEDIATE takes the write lock up front, so two
    writers queue instead of failing half-way with 'database is locked'."""
    con.execute("BEGIN IMMEDIATE")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


class ThreadConnections:
    """One connect_wal() connection per thread: the server answers on a pool of threads, and
    a sqlite3 connection must not be shared by two of them in the middle of a transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    def get(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = self._local.con = connect_wal(self.path)
        return con

    def close(self) -> None:
        """Close the calling thread's connection."""
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None


class StoreError(RuntimeError):
    """The store cannot be used as it is; the message says how to fix it."""


@dataclass(frozen=True)
class Filters:
    """Narrow a request by metadata; None means no constraint."""

    since: dt.date | None = None
    until: dt.date | None = None
    sources: tuple[str, ...] | None = None
    doc_ids: tuple[str, ...] | None = None
    # a range read from a question's words ("this week") keeps undated articles: they cannot be
    # ruled out, and the answer says it is undated; an explicit since/until is strict
    keep_undated: bool = False

    def is_empty(self) -> bool:
        return self.since is None and self.until is None and not self.sources and not self.doc_ids

    def sql(self) -> tuple[str, list]:
        """A WHERE fragment over `documents d` and its parameters."""
        clauses, params = ["1=1"], []
        undated = "d.date IS NULL OR " if self.keep_undated else ""
        if self.since:
            clauses.append(f"({undated}d.date >= ?)")
            params.append(self.since.isoformat())
        if self.until:
            clauses.append(f"({undated}d.date <= ?)")
            params.append(self.until.isoformat())
        if self.sources:
            clauses.append(f"d.source IN ({','.join('?' * len(self.sources))})")
            params += list(self.sources)
        if self.doc_ids:
            clauses.append(f"d.doc_id IN ({','.join('?' * len(self.doc_ids))})")
            params += list(self.doc_ids)
        return " AND ".join(clauses), params


@dataclass(frozen=True)
class StoredChunk:
    chunk_id: int
    doc_id: str
    ordinal: int
    start: int
    end: int
    text: str
    title: str
    date: dt.date | None
    source: str | None


@dataclass(frozen=True)
class StoredOutlet:
    """One published copy of a story."""

    doc_id: str
    source: str | None
    date: dt.date | None


@dataclass(frozen=True)
class StoredDocument:
    doc_id: str
    title: str
    date: dt.date | None
    source: str | None
    path: str | None
    sha256: str
    text: str
    chunks: int


def article_hash(article: Article, recipe: str = "") -> str:
    """What the stored chunks were made from: the article and the recipe (chunking, embedding)."""
    key = "\x1f".join([article.title, str(article.date), article.source or "", article.text, str(article.body_start), recipe])
    return hashlib.sha256(key.encode()).hexdigest()


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


class Store:
    """SQLite in WAL mode: one writer at a time, any number of readers on a consistent snapshot."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._connections = ThreadConnections(self.path)
        try:
            self._con.executescript(SCHEMA)  # idempotent; executescript manages its own transaction
            self._con.execute("INSERT OR IGNORE INTO meta VALUES ('generation', '0')")
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"the database {self.path} is unreadable ({exc}); move it away and rebuild with `rag ingest seeds/`"
            ) from exc

    @property
    def _con(self) -> sqlite3.Connection:
        return self._connections.get()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that also moves `generation`, so readers know to refresh."""
        with write_transaction(self._con) as con:
            yield con
            con.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Several reads that must see one state of the database (WAL keeps it while we read)."""
        con = self._con
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
        return int(self._con.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])

    def check_embedding_model(self, name: str, dim: int) -> None:
        """Vectors from different models must never share one index."""
        row = self._con.execute("SELECT value FROM meta WHERE key = 'embedding_model'").fetchone()
        if row is None:
            with self._write() as con:
                con.execute("INSERT OR REPLACE INTO meta VALUES ('embedding_model', ?)", (f"{name}|{dim}",))
        elif row[0] != f"{name}|{dim}":
            raise StoreError(
                f"{self.path} was built with the embedding model {row[0].split('|')[0]!r}, not {name!r}; "
                "use that model or ingest into a new data directory"
            )

    # --- writes -------------------------------------------------------------------------

    def is_current(self, article: Article, recipe: str = "") -> bool:
        row = self._con.execute("SELECT sha256 FROM documents WHERE doc_id = ?", (article.doc_id,)).fetchone()
        return row is not None and row[0] == article_hash(article, recipe)

    def upsert(
        self,
        items: Iterable[tuple[Article, list[Chunk], np.ndarray]],
        recipe: str = "",
        stories: Mapping[str, tuple[str, bytes]] | None = None,
    ) -> None:
        """Replace each article and its chunks, all in one transaction; `stories` maps a doc_id
        to its (story_id, MinHash signature)."""
        stories = stories or {}
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        with self._write() as con:
            for article, chunks, vectors in items:
                if len(chunks) != len(vectors):
                    raise ValueError("one vector per chunk")
                con.execute("DELETE FROM documents WHERE doc_id = ?", (article.doc_id,))
                con.execute(
                    "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
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
                    "INSERT INTO chunks (doc_id, ordinal, start_char, end_char, tokens, text, vector)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        (c.doc_id, c.ordinal, c.start, c.end, c.tokens, c.text, np.asarray(v, np.float32).tobytes())
                        for c, v in zip(chunks, vectors)
                    ],
                )
                if article.doc_id in stories:
                    story_id, minhash = stories[article.doc_id]
                    con.execute("INSERT INTO news VALUES (?, ?, ?, ?)", (article.doc_id, story_id, minhash, article.byline))

    def delete(self, doc_id: str) -> bool:
        with self._write() as con:
            return con.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,)).rowcount > 0

    # --- reads --------------------------------------------------------------------------

    def document(self, doc_id: str) -> StoredDocument | None:
        row = self._con.execute(
            "SELECT d.doc_id, d.title, d.date, d.source, d.path, d.sha256, d.text,"
            " (SELECT COUNT(*) FROM chunks c WHERE c.doc_id = d.doc_id) FROM documents d WHERE d.doc_id = ?",
            (doc_id,),
        ).fetchone()
        if row is None:
            return None
        return StoredDocument(row[0], row[1], _date(row[2]), row[3], row[4], row[5], row[6], row[7])

    def documents(self) -> list[StoredDocument]:
        rows = self._con.execute(
            "SELECT d.doc_id, d.title, d.date, d.source, d.path, d.sha256, '',"
            " (SELECT COUNT(*) FROM chunks c WHERE c.doc_id = d.doc_id) FROM documents d ORDER BY d.doc_id"
        ).fetchall()
        return [StoredDocument(r[0], r[1], _date(r[2]), r[3], r[4], r[5], r[6], r[7]) for r in rows]

    def counts(self) -> tuple[int, int]:
        docs = self._con.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        chunks = self._con.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        return docs, chunks

    def chunks(self, chunk_ids: list[int]) -> dict[int, StoredChunk]:
        """Chunks by id with their document's metadata; ids deleted since a snapshot are absent."""
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        rows = self._con.execute(
            "SELECT c.chunk_id, c.doc_id, c.ordinal, c.start_char, c.end_char, c.text, d.title, d.date, d.source"
            f" FROM chunks c JOIN documents d USING (doc_id) WHERE c.chunk_id IN ({marks})",
            chunk_ids,
        ).fetchall()
        return {r[0]: StoredChunk(r[0], r[1], r[2], r[3], r[4], r[5], r[6], _date(r[7]), r[8]) for r in rows}

    def chunk_ids(self, filters: Filters | None = None) -> np.ndarray:
        where, params = (filters or Filters()).sql()
        rows = self._con.execute(
            f"SELECT c.chunk_id FROM chunks c JOIN documents d USING (doc_id) WHERE {where}", params
        ).fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def vectors(self, chunk_ids: np.ndarray, dim: int) -> np.ndarray:
        out = np.zeros((len(chunk_ids), dim), dtype=np.float32)
        for lo in range(0, len(chunk_ids), 900):
            part = [int(i) for i in chunk_ids[lo : lo + 900]]
            rows = dict(
                self._con.execute(
                    f"SELECT chunk_id, vector FROM chunks WHERE chunk_id IN ({','.join('?' * len(part))})", part
                ).fetchall()
            )
            for k, cid in enumerate(part):
                out[lo + k] = np.frombuffer(rows[cid], dtype=np.float32)
        return out

    def story_signatures(self) -> list[tuple[str, str, bytes]]:
        """(doc_id, story_id, MinHash signature) of every clustered document."""
        return self._con.execute("SELECT doc_id, story_id, minhash FROM news").fetchall()

    def stories(self, doc_ids: Iterable[str]) -> dict[str, str]:
        """doc_id → story_id; a document without a cluster is its own story."""
        doc_ids = list(dict.fromkeys(doc_ids))
        found: dict[str, str] = {}
        for lo in range(0, len(doc_ids), 900):
            part = doc_ids[lo : lo + 900]
            found |= dict(
                self._con.execute(
                    f"SELECT doc_id, story_id FROM news WHERE doc_id IN ({','.join('?' * len(part))})", part
                ).fetchall()
            )
        return {d: found.get(d, d) for d in doc_ids}

    def outlets(self, story_ids: Iterable[str]) -> dict[str, list[StoredOutlet]]:
        """Every stored copy of each story, oldest first."""
        story_ids = list(dict.fromkeys(story_ids))
        if not story_ids:
            return {}
        rows = self._con.execute(
            "SELECT n.story_id, d.doc_id, d.source, d.date FROM news n JOIN documents d USING (doc_id)"
            f" WHERE n.story_id IN ({','.join('?' * len(story_ids))}) ORDER BY d.date, d.doc_id",
            story_ids,
        ).fetchall()
        out: dict[str, list[StoredOutlet]] = {s: [] for s in story_ids}
        for story_id, doc_id, source, date in rows:
            out[story_id].append(StoredOutlet(doc_id, source, _date(date)))
        return out

    def keyword_search(self, query: str, limit: int, filters: Filters | None = None) -> list[tuple[int, float]]:
        """BM25 over the same chunks (SQLite FTS5), best first; any word may match, in its
        British or American spelling."""
        words = list(dict.fromkeys(v for w in WORD.findall(query) for v in spelling_variants(w)))
        if not words:
            return []
        match = " OR ".join('"' + w.replace('"', '""') + '"' for w in words[:64])
        where, params = (filters or Filters()).sql()
        rows = self._con.execute(
            "SELECT f.rowid, bm25(chunks_fts) AS score FROM chunks_fts f"
            " JOIN chunks c ON c.chunk_id = f.rowid JOIN documents d ON d.doc_id = c.doc_id"
            f" WHERE chunks_fts MATCH ? AND {where} ORDER BY score LIMIT ?",
            [match, *params, limit],
        ).fetchall()
        return [(r[0], -r[1]) for r in rows]
