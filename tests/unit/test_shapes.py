"""Question shapes and the text they take from a passage: pure rules, no model."""

from __future__ import annotations

import datetime as dt

import pytest

from rag.shapes import (
    Shape,
    asks_future_time,
    enumeration_items,
    expects_amount,
    list_kind,
    names_only_earlier_years,
    question_shape,
    sentence_around,
    wants_names,
)


@pytest.mark.parametrize(
    ("question", "shape"),
    [
        ("Which countries' leaders joined the videoconference?", Shape.LIST),
        ("Which countries’ leaders joined the videoconference?", Shape.LIST),
        ("What measures did the EU take?", Shape.LIST),
        ("Who were the speakers?", Shape.LIST),
        ("Name the ministers who resigned.", Shape.LIST),
        ("Has the US imposed secondary sanctions on any country?", Shape.YES_NO),
        ("Did the council approve the budget?", Shape.YES_NO),
        ("Isn't the bridge closed?", Shape.YES_NO),
        ("Did prices rise or fall?", Shape.FACT),
        ("Why did the mayor resign?", Shape.REASON),
        ("How did the council pay for the bridge?", Shape.REASON),
        ("For what reason was the vote delayed?", Shape.REASON),
        ("How much are the frozen assets worth?", Shape.FACT),
        ("How many cables were replaced?", Shape.FACT),
        ("Who is the mayor of Kestrel?", Shape.FACT),
        ("What is the capital of Australia?", Shape.FACT),
        ("Which company won the contract?", Shape.FACT),
        ("", Shape.FACT),
        # the sentence that asks decides, after any that set the scene
        ("The ferry talks ended on Friday. Which countries sent delegations?", Shape.LIST),
        ("The bridge closed in January. Has it reopened?", Shape.YES_NO),
        ("Has the bridge reopened? It closed in January, the Gazette says.", Shape.YES_NO),
        ("Who did the U.S. envoy meet?", Shape.FACT),
    ],
)
def test_question_shapes(question, shape):
    assert question_shape(question) is shape


def test_an_amount_is_asked_in_the_asking_sentence():
    assert expects_amount("The harbour master retired on Friday. How old is she?")
    assert not expects_amount("How old is the bridge? Who will rebuild it?")
    assert expects_amount("How old is the bridge? The Gazette asked.")


def test_a_list_question_asks_for_names_or_for_phrases():
    assert list_kind("Which countries' leaders joined?") == "countries" and wants_names("Which countries' leaders joined?")
    assert list_kind("What new measures were announced?") == "measures" and not wants_names("What new measures were announced?")
    assert wants_names("Who were the speakers?")
    assert list_kind("What is the news?") is None


TEXT = (
    "The council met on Monday. The call brought together France's Ana Lys, Chile's Tomas Vera, "
    "Kenya's Ruth Amani and Japan's Ken Sato. Mayor Ilse Marrow resigned because the budget failed."
)


def test_a_list_the_reader_cut_short_is_taken_to_the_end_of_its_sentence():
    start = TEXT.index("France's")
    items = enumeration_items(TEXT, start, start + len("France's Ana Lys"), names=True)
    assert [TEXT[i.start : i.end] for i in items] == [
        "France's Ana Lys",
        "Chile's Tomas Vera",
        "Kenya's Ruth Amani",
        "Japan's Ken Sato",
    ]


def test_a_span_that_is_a_list_is_split_into_its_items():
    start, end = TEXT.index("Chile's"), TEXT.index(" and Japan")
    items = enumeration_items(TEXT, start, end, names=True)
    assert [TEXT[i.start : i.end] for i in items] == ["Chile's Tomas Vera", "Kenya's Ruth Amani", "Japan's Ken Sato"]


def test_a_phrase_is_not_a_name():
    text = "Leaders of US allies met. They agreed on new sanctions, tighter export controls and a price cap."
    start = text.index("US allies")
    assert enumeration_items(text, start, start + len("US allies"), names=True) == []
    start = text.index("new sanctions")
    items = enumeration_items(text, start, start + len("new sanctions"), names=False)
    assert [text[i.start : i.end] for i in items] == ["new sanctions", "tighter export controls", "a price cap"]


def test_the_deciding_sentence_holds_the_span():
    start = TEXT.index("budget")
    sentence = sentence_around(TEXT, start, start + len("budget"))
    assert TEXT[sentence.start : sentence.end] == "Mayor Ilse Marrow resigned because the budget failed."


@pytest.mark.parametrize(
    ("question", "future"),
    [
        ("When will the 20th package take effect?", True),
        ("when shall we meet?", True),
        ("When is the vote expected?", True),
        ("When are the ministers going to meet again?", True),
        ("When did the museum open?", False),
        ("When was the vote expected?", False),
        ("When is the museum open?", False),
        ("Who will chair the meeting?", False),
    ],
)
def test_a_question_about_a_time_to_come(question, future):
    assert asks_future_time(question) is future


def test_a_span_naming_only_earlier_years_is_a_past_time():
    report = dt.date(2025, 5, 20)
    assert names_only_earlier_years("1998", report)
    assert names_only_earlier_years("between 2019 and 2024", report)
    assert not names_only_earlier_years("from 2024 to 2026", report)
    assert not names_only_earlier_years("in 2025", report)
    assert not names_only_earlier_years("in June", report)
    assert not names_only_earlier_years("1998", None)
    assert not names_only_earlier_years("30 million", report)
