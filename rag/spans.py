"""Small repairs to a span the reader cut, before anything is said with it. Pure text.

The reader picks token boundaries, and a closing quotation mark is often a token of its own
or glued to the punctuation after it ("”," / "”."), so a title comes back open: `“Harbour Lights`,
`"Gullwing`. Shown like that, the answer looks broken, and it differs from the title as anyone
writes it ("“Harbour Lights”"), which also costs it the match with the same title read from another
passage. When the quote the span opens is closed right after it, the span takes the closing
mark (and the comma or full stop a writer put inside it); a quote closed further on is a
longer phrase the reader chose not to give, and is left alone. The mirror case, a span that
closes a quote opened just before it, takes the opening mark.

Asked for an amount ("How old…", "How many days…"), the reader sometimes cuts the number out of a
hyphenated measure with part of its unit: `71-year` from "the 71-year-old harbour master", `12-day`
from "the 12-day ferry strike". Shown like that the answer is a broken word; the number is the answer.
"""

from __future__ import annotations

import re

_INSIDE = ",.;:!?"  # what may stand between a span's end and the mark that closes its quote
_REACH = 2  # characters after the span's end where that mark may still be
# a number, then a hyphen and a unit word ("71-year", "12-day", "1,400-mile")
_MEASURE = re.compile(r"(\d[\d,.]*)-[^\W\d_]+")


def _leaves_open(span: str) -> bool:
    """Whether the span opens a double quote it does not close: `“Harbour Lights`, `"Gullwing`."""
    if span.rfind("“") > span.rfind("”"):
        return True
    return span.count('"') % 2 == 1 and span.lstrip().startswith('"')


def _closes_unopened(span: str) -> bool:
    """Whether the span closes a double quote it did not open: `Harbour Lights”`, `Gullwing"`."""
    closing = span.find("”")
    if closing != -1 and not 0 <= span.find("“") < closing:
        return True
    return span.count('"') % 2 == 1 and span.rstrip().endswith('"')


def close_quotes(text: str, start: int, end: int) -> tuple[int, int]:
    """The span [start, end) of `text` with the quote it leaves open closed when the passage
    closes it right after the span (within `_REACH` characters, only `_INSIDE` punctuation in
    between), or opened when the passage opens it right before; otherwise the span unchanged."""
    span = text[start:end]
    if _leaves_open(span):
        after = end
        while after < len(text) and after - end < _REACH and text[after] in _INSIDE:
            after += 1
        if after < len(text) and text[after] in '”"':
            return start, after + 1
    elif _closes_unopened(span) and start > 0 and text[start - 1] in '“"':
        return start - 1, end
    return start, end


def number_of_measure(text: str, start: int, end: int) -> tuple[int, int]:
    """The span [start, end) of `text` cut to its number when it is a hyphenated measure
    (`71-year` of "71-year-old", `12-day`); otherwise the span unchanged. For amount questions."""
    match = _MEASURE.fullmatch(text, start, end)
    return (start, match.end(1)) if match else (start, end)
