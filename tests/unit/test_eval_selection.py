"""Which questions `rag eval-reader` scores: the two halves of a file split by article never share an article
and together are the whole file, so a threshold fitted on one half is reported on questions it never saw."""

from __future__ import annotations

from eval.reader_eval import Selection
from rag.reader.squad import SquadQuestion


def _questions() -> list[SquadQuestion]:
    titles = ["Zebra", "Apple", "Mango", "Banana", "Kiwi"]
    return [SquadQuestion(f"{t}-{i}", f"q{i}?", "context", ("a",), 0, t) for t in titles for i in range(3)]


def test_first_and_skipped_articles_are_the_two_halves_of_the_file():
    questions = _questions()
    first = Selection(first_articles=2).apply(questions)
    rest = Selection(skip_articles=2).apply(questions)
    assert {q.title for q in first} == {"Apple", "Banana"}
    assert {q.title for q in rest} == {"Kiwi", "Mango", "Zebra"}
    assert sorted(q.id for q in first + rest) == sorted(q.id for q in questions)


def test_a_sample_of_a_half_is_seeded_and_stays_in_that_half():
    rest = Selection(skip_articles=2, limit=4, seed=7)
    picked = rest.apply(_questions())
    assert len(picked) == 4 and {q.title for q in picked} <= {"Kiwi", "Mango", "Zebra"}
    assert [q.id for q in picked] == [q.id for q in rest.apply(_questions())]
