"""British and American spellings, and compounds in one word or two: search finds both forms, and
the reader is asked in the passage's."""

from __future__ import annotations

import pytest

from index.spelling import compound_pairs, compound_splits, in_spelling_of, spelling_variants


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


def test_a_compound_is_read_as_two_words_and_two_words_as_one():
    assert ("video", "conference") in compound_splits("Videoconference")
    assert compound_splits("into") == []  # no half shorter than three letters
    assert compound_splits("G7") == []
    assert compound_pairs(["the", "video", "conference", "in", "Rome"]) == [("the", "video"), ("video", "conference")]


def test_the_question_takes_the_passage_compound():
    passage = "The video conference brought together French President Emmanuel Macron and others."
    assert in_spelling_of("Who joined the videoconference?", passage) == "Who joined the video conference?"
    # a passage that writes it as one word (too) is asked as the question wrote it
    assert in_spelling_of("Who joined the videoconference?", passage + " The videoconference ran.") == ("Who joined the videoconference?")
