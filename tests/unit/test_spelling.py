"""British and American spellings: search finds both, and the reader is asked in the passage's."""

from __future__ import annotations

import pytest

from index.spelling import in_spelling_of, spelling_variants


@pytest.mark.parametrize(
    ("word", "variants"),
    [
        ("programme", ["programme", "program"]),
        ("Program", ["program", "programme"]),
        ("colour", ["colour", "color"]),
        ("defense", ["defense", "defence"]),
        ("Bessent", ["bessent"]),
        ("four", ["four"]),  # no "-our" -> "-or" rule: only listed pairs
    ],
)
def test_spelling_variants_are_listed_pairs_only(word, variants):
    assert spelling_variants(word) == variants


def test_the_question_takes_the_passage_spelling():
    passage = "Bessent told NBC's Meet the Press program about the defense budget."
    assert in_spelling_of("Which TV programme did he speak on about defence?", passage) == (
        "Which TV program did he speak on about defense?"
    )
    assert in_spelling_of("Programme?", passage) == "Program?"  # capitalised as the question wrote it


def test_a_word_the_passage_also_spells_the_same_way_is_left_alone():
    assert in_spelling_of("Which programme?", "The programme (program in the US) ran.") == "Which programme?"
    assert in_spelling_of("Which colour is it?", "Nothing about it.") == "Which colour is it?"
