"""BM25 over the stored chunks (SQLite FTS5): the keyword half of hybrid retrieval.

It reads the same database as the store, through the store's connection, so it sees the
same snapshot and the same `Filters` (collections included: access is enforced in the SQL).
Any content word of the question may match, in its British or American spelling.

The question's function words ("which", "did", "on", "the") are not searched. They say
nothing about the topic, yet BM25 weighs them by how rare they are in this corpus, and in a
small news corpus a word like "which" (a relative pronoun in a few chunks) weighs about as much
as a name. Asked "Which TV programme did Scott Bessent speak on?", the chunk where Bessent "wrote
on X" (and Russia is one "which has not backed out of the Ukraine war") and the chunk naming the
programme were within 0.02 of each other; one unrelated article without "which" raised its weight
enough to swap them, and the reader's rank penalty turned the swap into the answer "X"
(test_page's two-turn conversation). A function word written as a name is kept: "US", "IT",
"May" inside a question.
"""

from __future__ import annotations

from index.spelling import WORD, spelling_variants
from index.store import Filters, Store

MAX_TERMS = 64  # FTS5 cost grows with the OR-ed terms; a question never needs more

# English function words a question is built from: question words, auxiliaries, articles and
# determiners, pronouns, prepositions and conjunctions. Not negations: "not" and "no" are rare
# enough to be harmless and a yes/no question may hinge on them.
FUNCTION_WORDS = frozenset(
    """
    who whom whose what which when where why how
    is are was were am be been being do does did done has have had having can could will would
    shall should may might must
    a an the this that these those some any each every
    i me my mine we us our ours you your yours he him his she her hers it its they them their theirs
    on in at of for to from by with about into onto over under after before during as than
    and or but so if then also
    there here
    """.split()
)


def _is_function_word(word: str, opens: bool) -> bool:
    """A function word written as one: in lower case, or capitalised only because it opens the
    question. In capitals ("US", "IT") or capitalised inside the question ("in May") it names
    something."""
    if word.lower() not in FUNCTION_WORDS:
        return False
    return word.islower() or (opens and word[:1].isupper() and not word.isupper())


def query_terms(query: str) -> list[str]:
    """The words of `query` that BM25 searches, each in its spellings, in order and once: the
    content words, or every word when the query has nothing else ("Who is it?")."""
    words = WORD.findall(query)
    content = [w for i, w in enumerate(words) if not _is_function_word(w, opens=i == 0)]
    return list(dict.fromkeys(v for w in content or words for v in spelling_variants(w)))


def keyword_search(store: Store, query: str, limit: int, filters: Filters | None = None) -> list[tuple[int, float]]:
    """(chunk_id, score) best first; higher is better. Text that looks like FTS5 syntax is
    quoted term by term, so no user input can make the query fail."""
    words = query_terms(query)
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
