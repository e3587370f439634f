"""A span the reader cut inside a quotation gets the mark that closes (or opens) it: pure text."""

from __future__ import annotations

import pytest

from rag.spans import close_quotes


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
