"""Time in a question's words, read relative to the day it is asked (`as_of`).

News questions carry their time in words, and the words mean nothing without a reference
day: "What did the EU agree this week?" asked of an archive on 2025-09-12 means the week of
2025-09-08. Three kinds of words, treated differently (rag/timeprior.py applies the last two):

- a **range** the user drew ("between 2022 and 2023", "since May", "last week", "yesterday",
  "in the past 3 days") is a hard filter: nothing outside it is read;
- a **window** ("this week", "recently", "latest", "current") is where to look first: the
  search is confined to it and widened to everything up to `as_of` when nothing there answers;
- a **named period** ("the 2022 finals", "in March 2024") is a prior, not a filter: evidence
  from or just after it is preferred, yet a clearly better match from elsewhere still wins
  (the 2022 finals are often reported in a 2023 review).

Explicit `since`/`until` on a request win over all of them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

_MONTHS = {m.lower(): n for n, m in enumerate(calendar.month_name) if m}
_MONTH = "|".join(_MONTHS)
_UNITS = {"day": 1, "week": 7, "month": 30, "year": 365}
_YEAR = r"(?:19|20)\d\d"
# how far back a window reaches before it is widened: "this week" is the week so far
WINDOW_DAYS = {"recently": 30, "recent": 30, "latest": 365, "most recent": 365, "current": 365, "currently": 365}


@dataclass(frozen=True)
class Period:
    since: dt.date | None
    until: dt.date | None
    phrase: str  # the words it was read from, for the reply
    kind: Literal["range", "window", "named"] = "range"


def _month_range(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _previous_month(day: dt.date) -> tuple[int, int]:
    return (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)


def _last_month_named(month: int, as_of: dt.date) -> int:
    """The year of the latest `month` that has begun by `as_of` ("since May", asked in March: last May)."""
    return as_of.year if month <= as_of.month else as_of.year - 1


def _start(words: str, as_of: dt.date) -> dt.date:
    """The first day that "since …" names: a month (and year) or a year."""
    if match := re.fullmatch(rf"({_MONTH})(?: ({_YEAR}))?", words):
        month = _MONTHS[match[1]]
        return dt.date(int(match[2]) if match[2] else _last_month_named(month, as_of), month, 1)
    return dt.date(int(words), 1, 1)


def _range(words: str, as_of: dt.date) -> Period:
    """The period one matched phrase means, relative to `as_of` (a range never ends after it)."""
    words = " ".join(words.lower().split())
    monday = as_of - dt.timedelta(days=as_of.weekday())
    if words == "today":
        return Period(as_of, as_of, words)
    if words == "yesterday":
        return Period(day := as_of - dt.timedelta(days=1), day, words)
    if words == "this week":
        return Period(monday, as_of, words, "window")
    if words == "last week":
        return Period(monday - dt.timedelta(days=7), monday - dt.timedelta(days=1), words)
    if words == "this month":
        return Period(as_of.replace(day=1), as_of, words, "window")
    if words == "last month":
        return Period(*_month_range(*_previous_month(as_of)), words)
    if words == "this year":
        return Period(dt.date(as_of.year, 1, 1), as_of, words, "window")
    if words == "last year":
        return Period(dt.date(as_of.year - 1, 1, 1), dt.date(as_of.year - 1, 12, 31), words)
    if words in WINDOW_DAYS:
        return Period(as_of - dt.timedelta(days=WINDOW_DAYS[words] - 1), as_of, words, "window")
    if match := re.fullmatch(rf"between ({_YEAR}) and ({_YEAR})", words):
        first, last = sorted((int(match[1]), int(match[2])))
        return Period(dt.date(first, 1, 1), min(dt.date(last, 12, 31), as_of), words)
    if match := re.fullmatch(rf"since ((?:{_MONTH})(?: {_YEAR})?|{_YEAR})", words):
        return Period(_start(match[1], as_of), as_of, words)
    if match := re.fullmatch(rf"(?:({_MONTH}) )?({_YEAR})", words):
        year = int(match[2])
        since, until = _month_range(year, _MONTHS[match[1]]) if match[1] else (dt.date(year, 1, 1), dt.date(year, 12, 31))
        return Period(since, until, words, "named")
    match = re.fullmatch(r"(?:in the )?(?:past|last) (\d+) (day|week|month|year)s?", words)
    assert match is not None  # the caller matched _PHRASE, whose last alternative this is
    return Period(as_of - dt.timedelta(days=int(match[1]) * _UNITS[match[2]] - 1), as_of, words)


_PHRASE = re.compile(
    r"\b(?:today|yesterday|(?:this|last) (?:week|month|year)|latest|most recent|recently|recent|currently|current"
    rf"|between {_YEAR} and {_YEAR}|since (?:(?:{_MONTH})(?: {_YEAR})?|{_YEAR})"
    rf"|(?:in the )?(?:past|last) \d+ (?:day|week|month|year)s?"
    rf"|(?:(?:{_MONTH}) )?{_YEAR})\b",
    re.IGNORECASE,
)
_PRECEDENCE = {"range": 0, "window": 1, "named": 2}


def period_in(question: str, as_of: dt.date) -> Period | None:
    """The period the question's time words stand for, or None when it has none. A range the
    user drew wins over a window, a window over a named year; among equals the most specific
    (bounded) phrase, then the first ("the latest figure this week" is this week)."""
    found = [_range(m[0], as_of) for m in _PHRASE.finditer(question)]
    if not found:
        return None
    return min(found, key=lambda p: (_PRECEDENCE[p.kind], p.since is None, (p.until or as_of) - (p.since or dt.date.min)))
