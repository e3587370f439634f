"""The index's tables, and the migrations that bring an older data directory up to them.

`SCHEMA` is idempotent (IF NOT EXISTS throughout) and runs on every open; a migration runs
once, in one transaction, only when an older layout is found.
"""

from __future__ import annotations

import sqlite3

from index.store.connection import write_transaction

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

SCHEMA = (
    TABLES
    + NEWS_TABLE
    + """
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
)

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


def _before_collections(con: sqlite3.Connection, table: str) -> bool:
    columns = {row[1] for row in con.execute(f"PRAGMA table_info({table})")}
    return bool(columns) and "collection" not in columns


def _old_schema(con: sqlite3.Connection) -> tuple[bool, bool]:
    return _before_collections(con, "documents"), _before_collections(con, "news")


def migrate(con: sqlite3.Connection) -> None:
    """A data directory from before collections: everything moves into `default`, story
    rows too. Checked again under the write lock, so two processes opening it at once
    migrate it once; one transaction, so a crash leaves the old schema to migrate again."""
    if any(_old_schema(con)):
        with write_transaction(con):
            old_documents, old_news = _old_schema(con)
            statements = (SET_NEWS_ASIDE if old_news else []) + (MIGRATE_TO_COLLECTIONS if old_documents else [])
            for statement in statements + (RESTORE_NEWS if old_news else []):
                con.execute(statement)


def create_schema(con: sqlite3.Connection) -> None:
    """Migrate if needed, then make sure every table, index and trigger exists."""
    migrate(con)
    con.executescript(SCHEMA)  # idempotent; executescript manages its own transaction
    con.execute("INSERT OR IGNORE INTO meta VALUES ('generation', '0')")
