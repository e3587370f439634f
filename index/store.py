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
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from index.spelling import WORD, spelling_variants
from index.types import Article, Chunk

TABLES = """
CREATE TABLE IF NOT EXISTS documents (
    collection TEXT NOT NULL DEFAULT 'default',
    doc_id TEXT NOT NULL,
    title TEXT NOT NULL,
    date TEXT,
    source TEXT,
    path TEXT,
    sha256 TEXT NOT NULL,
    text TEXT NOT NULL,
    ingested_at TEXT NOT NULL,
    PRIMARY KEY (collection, doc_id)
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id INTEGER PRIMARY KEY AUTOINCREMENT,
    collection TEXT NOT NULL DEFAULT 'default',
    doc_id TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    start_char INTEGER NOT NULL,
    end_char INTEGER NOT NULL,
    tokens INTEGER NOT NULL,
    text TEXT NOT NULL,
    vector BLOB NOT NULL,
    FOREIGN KEY (collection, doc_id) REFERENCES documents(collection, doc_id) ON DELETE CASCADE
);
"""

# news metadata of a document: its story cluster (index/stories.py) and byline. Stories live
# inside one collection (a copy of the same wire report in another collection is another story),
# so that clustering never lets one team learn what another holds. An index built before this
# table existed simply has no clusters until its articles are re-ingested.
NEWS_TABLE = """
CREATE TABLE IF NOT EXISTS news (
    collection TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    story_id TEXT NOT NULL,
    minhash BLOB NOT NULL,
    byline TEXT,
    PRIMARY KEY (collection, doc_id),
    FOREIGN KEY (collection, doc_id) REFERENCES documents(collection, doc_id) ON DELETE CASCADE
);
"""

SCHEMA = TABLES + NEWS_TABLE + """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_by_doc ON chunks(collection, doc_id);
CREATE INDEX IF NOT EXISTS documents_by_date ON documents(date);
CREATE INDEX IF NOT EXISTS documents_by_id ON documents(doc_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    text, content='chunks', content_rowid='chunk_id', tokenize='porter unicode61'
);
CREATE TRIGGER IF NOT EXISTS chunks_fts_insert AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, text) VALUES (new.chunk_id, new.text);
END;
CREATE TRIGGER IF NOT EXISTS chunks_fts_delete AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.chunk_id, old.text);
END;
CREATE INDEX IF NOT EXISTS news_by_story ON news(collection, story_id);
"""


DEFAULT_COLLECTION = "default"
COLLECTION_PATTERN = r"^[A-Za-z0-9_.\-]{1,64}$"

# Before collections, documents were keyed by doc_id alone. The old tables are renamed aside,
# the new ones created, every row copied with its chunk_id (the FAISS snapshots and the
# full-text index are keyed by it, so both stay valid), and the old tables dropped: one
# transaction, so a crash leaves the old schema, migrated again on the next open.
MIGRATE_TO_COLLECTIONS = [
    "ALTER TABLE chunks RENAME TO chunks_v1",
    "ALTER TABLE documents RENAME TO documents_v1",
    *[f"CREATE TABLE{part}" for part in TABLES.split("CREATE TABLE")[1:]],
    "INSERT INTO documents (collection, doc_id, title, date, source, path, sha256, text, ingested_at)"
    " SELECT 'default', doc_id, title, date, source, path, sha256, text, ingested_at FROM documents_v1",
    "INSERT INTO chunks (chunk_id, collection, doc_id, ordinal, start_char, end_char, tokens, text, vector)"
    " SELECT chunk_id, 'default', doc_id, ordinal, start_char, end_char, tokens, text, vector FROM chunks_v1",
    "UPDATE sqlite_sequence SET seq = max(seq, (SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'chunks_v1'))"
    " WHERE name = 'chunks'",
    "DROP TABLE chunks_v1",
    "DROP TABLE documents_v1",
]

# Before collections, story rows were keyed by doc_id alone, referencing a documents.doc_id that
# is no longer unique (SQLite then refuses every write to either table). The rows are set aside
# in a plain table (no foreign key, so moving `documents` cannot cascade into them), and come
# back into `default`, where every document of that time went, once the documents are there.
SET_NEWS_ASIDE = ["CREATE TABLE news_v1 AS SELECT doc_id, story_id, minhash, byline FROM news", "DROP TABLE news"]
RESTORE_NEWS = [
    NEWS_TABLE,
    "INSERT INTO news (collection, doc_id, story_id, minhash, byline)"
    " SELECT 'default', n.doc_id, n.story_id, n.minhash, n.byline FROM news_v1 n"
    " JOIN documents d ON d.collection = 'default' AND d.doc_id = n.doc_id",
    "DROP TABLE news_v1",
]


def valid_collection(name: str) -> str:
    """Collection names travel in URLs, TOML and metric labels: a short safe alphabet."""
    if not isinstance(name, str) or not re.match(COLLECTION_PATTERN, name):
        raise ValueError(f"invalid collection name {str(name)[:80]!r}: use 1-64 letters, digits, '.', '_' or '-'")
    return name


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
    """Narrow a request by metadata; None means no constraint.

    `collections` is also access: None is every collection, an empty tuple is none at all
    (a caller who may read nothing finds nothing, never everything).
    """

    since: dt.date | None = None
    until: dt.date | None = None
    sources: tuple[str, ...] | None = None
    doc_ids: tuple[str, ...] | None = None
    collections: tuple[str, ...] | None = None
    # a range read from a question's words ("this week") keeps undated articles: they cannot be
    # ruled out, and the answer says it is undated; an explicit since/until is strict
    keep_undated: bool = False
    # the day the question is asked: nothing dated after it is evidence, whatever else is asked;
    # undated articles stay (they cannot be ruled out, and the answer says it is undated)
    as_of: dt.date | None = None

    def is_empty(self) -> bool:
        return (
            self.since is None
            and self.until is None
            and self.as_of is None
            and not self.sources
            and not self.doc_ids
            and self.collections is None
        )

    def within(self, readable: frozenset[str] | None) -> Filters:
        """These filters restricted to the `readable` collections (None: all): a request's own
        `collections` may narrow what the caller reads, never widen it."""
        if readable is None:
            return self
        asked = readable if self.collections is None else readable & set(self.collections)
        return replace(self, collections=tuple(sorted(asked)))

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
        if self.as_of:
            clauses.append("(d.date IS NULL OR d.date <= ?)")
            params.append(self.as_of.isoformat())
        if self.sources:
            clauses.append(f"d.source IN ({','.join('?' * len(self.sources))})")
            params += list(self.sources)
        if self.doc_ids:
            clauses.append(f"d.doc_id IN ({','.join('?' * len(self.doc_ids))})")
            params += list(self.doc_ids)
        if self.collections is not None:
            clauses.append(f"d.collection IN ({','.join('?' * len(self.collections))})" if self.collections else "0")
            params += list(self.collections)
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
    collection: str = DEFAULT_COLLECTION


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
    collection: str = DEFAULT_COLLECTION
    ingested_at: str | None = None


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
            self._migrate()
            self._con.executescript(SCHEMA)  # idempotent; executescript manages its own transaction
            self._con.execute("INSERT OR IGNORE INTO meta VALUES ('generation', '0')")
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"the database {self.path} is unreadable ({exc}); move it away and rebuild with `rag ingest seeds/`"
            ) from exc

    @property
    def _con(self) -> sqlite3.Connection:
        return self._connections.get()

    def _migrate(self) -> None:
        """A data directory from before collections: everything moves into `default`, story
        rows too. Checked again under the write lock, so two processes opening it at once
        migrate it once; one transaction, so a crash leaves the old schema to migrate again."""

        def before_collections(table: str) -> bool:
            columns = {row[1] for row in self._con.execute(f"PRAGMA table_info({table})")}
            return bool(columns) and "collection" not in columns

        def old_schema() -> tuple[bool, bool]:
            return before_collections("documents"), before_collections("news")

        if any(old_schema()):
            with write_transaction(self._con) as con:
                old_documents, old_news = old_schema()
                statements = (SET_NEWS_ASIDE if old_news else []) + (MIGRATE_TO_COLLECTIONS if old_documents else [])
                for statement in statements + (RESTORE_NEWS if old_news else []):
                    con.execute(statement)

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

    def is_current(self, article: Article, recipe: str = "", collection: str = DEFAULT_COLLECTION) -> bool:
        row = self._con.execute(
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
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
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
        rows = self._con.execute(
            f"SELECT d.doc_id, d.title, d.date, d.source, d.path, d.sha256, {text},"
            " (SELECT COUNT(*) FROM chunks c WHERE c.collection = d.collection AND c.doc_id = d.doc_id),"
            f" d.collection, d.ingested_at FROM documents d WHERE {where} ORDER BY d.collection, d.doc_id",
            params,
        ).fetchall()
        return [StoredDocument(r[0], r[1], _date(r[2]), r[3], r[4], r[5], r[6], r[7], r[8], r[9]) for r in rows]

    def collections(self) -> list[str]:
        return [r[0] for r in self._con.execute("SELECT DISTINCT collection FROM documents ORDER BY collection")]

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
            "SELECT c.chunk_id, c.doc_id, c.ordinal, c.start_char, c.end_char, c.text, d.title, d.date, d.source, d.collection"
            f" FROM chunks c JOIN documents d USING (collection, doc_id) WHERE c.chunk_id IN ({marks})",
            chunk_ids,
        ).fetchall()
        return {r[0]: StoredChunk(r[0], r[1], r[2], r[3], r[4], r[5], r[6], _date(r[7]), r[8], r[9]) for r in rows}

    def chunk_ids(self, filters: Filters | None = None) -> np.ndarray:
        where, params = (filters or Filters()).sql()
        rows = self._con.execute(
            f"SELECT c.chunk_id FROM chunks c JOIN documents d USING (collection, doc_id) WHERE {where}", params
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

    def story_signatures(self, collection: str = DEFAULT_COLLECTION) -> list[tuple[str, str, bytes]]:
        """(doc_id, story_id, MinHash signature) of every clustered document of `collection`."""
        return self._con.execute("SELECT doc_id, story_id, minhash FROM news WHERE collection = ?", (collection,)).fetchall()

    def stories(self, doc_ids: Iterable[str], collection: str = DEFAULT_COLLECTION) -> dict[str, str]:
        """doc_id → story_id within `collection`; a document without a cluster is its own story."""
        doc_ids = list(dict.fromkeys(doc_ids))
        found: dict[str, str] = {}
        for lo in range(0, len(doc_ids), 900):
            part = doc_ids[lo : lo + 900]
            found |= dict(
                self._con.execute(
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
        rows = self._con.execute(
            "SELECT n.story_id, d.doc_id, d.source, d.date FROM news n JOIN documents d USING (collection, doc_id)"
            f" WHERE n.collection = ? AND n.story_id IN ({','.join('?' * len(story_ids))}) ORDER BY d.date, d.doc_id",
            [collection, *story_ids],
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
            " JOIN chunks c ON c.chunk_id = f.rowid JOIN documents d USING (collection, doc_id)"
            f" WHERE chunks_fts MATCH ? AND {where} ORDER BY score LIMIT ?",
            [match, *params, limit],
        ).fetchall()
        return [(r[0], -r[1]) for r in rows]
