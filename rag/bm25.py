"""BM25 over the stored chunks (SQLite FTS5): the keyword half of hybrid retrieval.

It reads the same database as the store, through the store's connection, so it sees the
same snapshot and the same `Filters` (collections included: access is enforced in the SQL).
Any word of the question may match, in its British or American spelling.
"""

from __future__ import annotations

from index.spelling import WORD, spelling_variants
from index.store import Filters, Store

MAX_TERMS = 64  # FTS5 cost grows with the OR-ed terms; a question never needs more


def keyword_search(store: Store, query: str, limit: int, filters: Filters | None = None) -> list[tuple[int, float]]:
    """(chunk_id, score) best first; higher is better. Text that looks like FTS5 syntax is
    quoted term by term, so no user input can make the query fail."""
    words = list(dict.fromkeys(v for w in WORD.findall(query) for v in spelling_variants(w)))
    if not words:
        return []
    match = " OR ".join('"' + w.replace('"', '""') + '"' for w in words[:MAX_TERMS])
    where, params = (filters or Filters()).sql()
    rows = store.connection.execute(
        "SELECT f.rowid, bm25(chunks_fts) AS score FROM chunks_fts f"
        " JOIN chunks c ON c.chunk_id = f.rowid JOIN documents d USING (collection, doc_id)"
        f" WHERE chunks_fts MATCH ? AND {where} ORDER BY score LIMIT ?",
        [match, *params, limit],
    ).fetchall()
    return [(r[0], -r[1]) for r in rows]
