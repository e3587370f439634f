"""BM25 over the stored chunks (rag/bm25.py): names rank, user text never breaks the FTS5 query,
and either spelling of a word finds the other."""

from __future__ import annotations

import pytest

from index.store import Store
from rag.bm25 import keyword_search
from tests.unit.test_store import _article, _put


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "rag.sqlite3")


def test_keyword_search_ranks_names_and_survives_odd_queries(store):
    _put(store, _article("a", "Ursula von der Leyen leads the European Commission."))
    _put(store, _article("b", "The commission met on Tuesday."))
    hits = keyword_search(store, "Who is von der Leyen?", 10)
    assert store.chunks([hits[0][0]])[hits[0][0]].doc_id == "a"
    for odd in ['"', "AND OR NOT", "*", "NEAR(", "((", "", "???"]:
        keyword_search(store, odd, 5)  # FTS5 syntax in user text must never raise


def test_keyword_search_finds_either_spelling(store):
    _put(store, _article("us", "He told NBC's Meet the Press program about the defense budget."))
    _put(store, _article("uk", "She spoke on a BBC radio programme about the defence review."))
    _put(store, _article("other", "Nothing about broadcasting here."))

    def docs(query: str) -> set[str]:
        return {store.chunks([c])[c].doc_id for c, _ in keyword_search(store, query, 10)}

    assert docs("programme") == docs("program") == {"us", "uk"}
    assert docs("Defence") == docs("defense") == {"us", "uk"}
