"""BM25 over the stored chunks (SQLite FTS5): the keyword half of hybrid retrieval.

It reads the same database as the store, through the store's connection, so it sees the
same snapshot and the same `Filters` (collections included: access is enforced in the SQL).
Any word of the question but its question words may match, in its British or American spelling,
and a compound in either form: "videoconference" also as the phrase "video conference", and the
other way round (index/spelling.py says why).

The question words ("which", "who", "did"…) are not searched. They are there because it is a
question, yet BM25 weighs them by how rare they are in this corpus, and in a small news corpus
"which" (a relative pronoun in a few chunks) weighs about as much as a name. Asked "Which TV
programme did Scott Bessent speak on?", the chunk where Bessent "wrote on X" (and Russia is one
"which has not backed out of the Ukraine war") and the chunk naming the programme were within 0.02
of each other; one unrelated article without "which" raised its weight enough to swap them, and the
reader's rank penalty turned the swap into the answer "X" (test_page's two-turn conversation).
"""

from __future__ import annotations

from index.spelling import WORD, compound_pairs, compound_splits, spelling_variants
from index.store import Filters, Store

MAX_TERMS = 64  # FTS5 cost grows with the OR-ed terms; a question never needs more

# The words a question has because it is a question, not because of what it asks about: the
# interrogatives (wh-movement) and the auxiliary of do-support ("did he speak" where a report says
# "he spoke"). A report seldom repeats them, and where it has them they mean something else ("which"
# and "who" open relative clauses). Other function words stay: a report's sentence often mirrors
# the question's "is the", "on", "with", and on the seed questions dropping them all moved five
# gold articles from rank 1 to rank 2.
QUESTION_WORDS = frozenset("who whom whose what which when where why how do does did".split())


def _is_question_word(word: str, opens: bool) -> bool:
    """A question word written as one: in lower case, or capitalised only because it opens the
    question. In capitals ("WHO") or capitalised inside the question it names something."""
    if word.lower() not in QUESTION_WORDS:
        return False
    return word.islower() or (opens and word[:1].isupper() and not word.isupper())


def _content_words(query: str) -> list[str]:
    """All words of `query` but its question words, or every word when it has nothing else ("Why?")."""
    words = WORD.findall(query)
    return [w for i, w in enumerate(words) if not _is_question_word(w, opens=i == 0)] or words


def query_terms(query: str) -> list[str]:
    """The words of `query` that BM25 searches, each in its spellings, in order and once."""
    return list(dict.fromkeys(v for w in _content_words(query) for v in spelling_variants(w)))


def compound_terms(query: str) -> list[str]:
    """The other forms of the query's compounds, also searched: each word read as two ("video
    conference", a phrase) and each pair of words as one. A form the corpus lacks matches nothing."""
    content = _content_words(query)
    splits = [f"{a} {b}" for w in content for a, b in compound_splits(w)]
    return list(dict.fromkeys(splits + [a + b for a, b in compound_pairs(content)]))


def keyword_search(store: Store, query: str, limit: int, filters: Filters | None = None) -> list[tuple[int, float]]:
    """(chunk_id, score) best first; higher is better. Text that looks like FTS5 syntax is
    quoted term by term, so no user input can make the query fail."""
    words = query_terms(query)
    if not words:
        return []
    # the compounds' other forms come last, so that MAX_TERMS cuts them first
    terms = list(dict.fromkeys(words + compound_terms(query)))[:MAX_TERMS]
    match = " OR ".join('"' + w.replace('"', '""') + '"' for w in terms)
    where, params = (filters or Filters()).sql()
    rows = store.connection.execute(
        "SELECT f.rowid, bm25(chunks_fts) AS score FROM chunks_fts f"
        " JOIN chunks c ON c.chunk_id = f.rowid JOIN documents d USING (collection, doc_id)"
        f" WHERE chunks_fts MATCH ? AND {where} ORDER BY score LIMIT ?",
        [match, *params, limit],
    ).fetchall()
    return [(r[0], -r[1]) for r in rows]
