"""Relative time in a question ("this week", "last month", "in 2022", "latest") as a date range.

News questions carry their time in words, and the words mean nothing without a reference
day: "What did the EU agree this week?" asked of an archive on 2025-09-12 means the week of
2025-09-08. The range found here feeds the `since`/`until` filters retrieval already has;
explicit `since`/`until` on a request win over it. Only words that name a time make a range:
"current" or "now" do not (the newest evidence wins anyway, rag/answer.py).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

_MONTHS = {m.lower(): n for n, m in enumerate(calendar.month_name) if m}
_UNITS = {"day": 1, "week": 7, "month": 30, "year": 365}


@dataclass(frozen=True)
class Period:
    since: dt.date | None
    until: dt.date | None
    phrase: str  # the words it was read from, for the reply


def _month_range(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _previous_month(day: dt.date) -> tuple[int, int]:
    return (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)


def _range(words: str, as_of: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """The range one matched phrase means, relative to `as_of` (ranges never end after it)."""
    words = " ".join(words.lower().split())
    monday = as_of - dt.timedelta(days=as_of.weekday())
    if words == "today":
        return as_of, as_of
    if words == "yesterday":
        return (day := as_of - dt.timedelta(days=1)), day
    if words == "this week":
        return monday, as_of
    if words == "last week":
        return monday - dt.timedelta(days=7), monday - dt.timedelta(days=1)
    if words == "this month":
        return as_of.replace(day=1), as_of
    if words == "last month":
        return _month_range(*_previous_month(as_of))
    if words == "this year":
        return dt.date(as_of.year, 1, 1), as_of
    if words == "last year":
        return dt.date(as_of.year - 1, 1, 1), dt.date(as_of.year - 1, 12, 31)
    if words in ("latest", "most recent"):
        return None, as_of  # the newest evidence wins anyway; this keeps out what came after as_of
    if match := re.fullmatch(r"(?:in|during) (?:([a-z]+) )?(\d{4})", words):
        year = int(match[2])
        if match[1]:
            return _month_range(year, _MONTHS[match[1]])
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    match = re.fullmatch(r"(?:in the )?(?:past|last) (\d+) (day|week|month|year)s?", words)
    assert match is not None  # the caller matched PERIOD, whose last alternative this is
    return as_of - dt.timedelta(days=int(match[1]) * _UNITS[match[2]] - 1), as_of


_PHRASE = re.compile(
    r"\b(?:today|yesterday|(?:this|last) (?:week|month|year)|latest|most recent"
    rf"|(?:in|during) (?:(?:{'|'.join(_MONTHS)}) )?(?:19|20)\d\d"
    r"|(?:in the )?(?:past|last) \d+ (?:day|week|month|year)s?)\b",
    re.IGNORECASE,
)


def period_in(question: str, as_of: dt.date) -> Period | None:
    """The date range the question's first time phrase stands for, or None when it has none.
    The most specific phrase wins ("the latest figure this week" is this week)."""
    found = [(m[0], _range(m[0], as_of)) for m in _PHRASE.finditer(question)]
    bounded = [(phrase, r) for phrase, r in found if r[0] is not None] or found
    if not bounded:
        return None
    phrase, (since, until) = bounded[0]
    return Period(since, until, phrase)
