"""A span the reader cut inside a quotation gets the mark that closes (or opens) it: pure text."""

from __future__ import annotations

import pytest

from rag.spans import close_quotes, number_of_measure


def _closed(text: str, span: str) -> str:
    start = text.index(span)
    lo, hi = close_quotes(text, start, start + len(span))
    return text[lo:hi]


@pytest.mark.parametrize(
    ("text", "span", "shown"),
    [
        ("The harbourmaster's memoir “Harbour Lights” is out.", "“Harbour Lights", "“Harbour Lights”"),
        ("“The Quiet Pier,” said the critic, flopped.", "“The Quiet Pier", "“The Quiet Pier,”"),
        ('"Gullwing" topped the box office.', '"Gullwing', '"Gullwing"'),
        ("The “Kestrel” musical led the weekend.", "Kestrel”", "“Kestrel”"),
        ('The "Kestrel" musical led the weekend.', 'Kestrel"', '"Kestrel"'),
    ],
)
def test_a_quote_the_span_leaves_open_is_closed_where_the_passage_closes_it(text, span, shown):
    assert _closed(text, span) == shown


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("The “Kestrel musical” opened.", "“Kestrel"),  # the quote goes on: the reader chose the shorter phrase
        ("He called it “a disgrace and a farce” on Monday.", "“a disgrace"),
        ("He said it was “fine” twice.", "“fine”"),  # already whole
        ("The musical Kestrel opened.", "Kestrel"),  # no quote at all
        ('"Gullwing is a hit," she said.', '"Gullwing'),
    ],
)
def test_anything_else_is_left_as_the_reader_cut_it(text, span):
    assert _closed(text, span) == span


@pytest.mark.parametrize(
    ("text", "span", "number"),
    [
        ("The 71-year-old harbour master retired.", "71-year", "71"),
        ("The 12-day ferry strike ended on Friday.", "12-day", "12"),
        ("A 1,400-mile route.", "1,400-mile", "1,400"),
        ("She is 71 years old.", "71 years", "71 years"),  # no hyphenated measure: as the reader cut it
        ("The Covid-19 rules changed.", "Covid-19", "Covid-19"),
        ("A 2-1 win.", "2-1", "2-1"),
    ],
)
def test_an_amount_cut_from_a_hyphenated_measure_is_its_number(text, span, number):
    start = text.index(span)
    lo, hi = number_of_measure(text, start, start + len(span))
    assert text[lo:hi] == number
