"""Relative time in questions and datelines in article text: what is read, and what is not guessed."""

from __future__ import annotations

import datetime as dt

import pytest

from index.parse import dateline_date, parse_plain
from rag.timewords import period_in

AS_OF = dt.date(2025, 9, 12)  # a Friday


@pytest.mark.parametrize(
    ("question", "since", "until"),
    [
        ("What did the EU agree this week?", dt.date(2025, 9, 8), AS_OF),
        ("What happened last week in Kyiv?", dt.date(2025, 9, 1), dt.date(2025, 9, 7)),
        ("Who resigned yesterday?", dt.date(2025, 9, 11), dt.date(2025, 9, 11)),
        ("What was announced today?", AS_OF, AS_OF),
        ("What sanctions were adopted last month?", dt.date(2025, 8, 1), dt.date(2025, 8, 31)),
        ("Who was the US president in 2022?", dt.date(2022, 1, 1), dt.date(2022, 12, 31)),
        ("What happened in March 2022?", dt.date(2022, 3, 1), dt.date(2022, 3, 31)),
        ("What is the latest sanctions package?", None, AS_OF),
        ("What changed in the past 3 days?", dt.date(2025, 9, 10), AS_OF),
        ("What is the latest news this month?", dt.date(2025, 9, 1), AS_OF),
    ],
)
def test_time_words_become_a_range(question, since, until):
    period = period_in(question, AS_OF)
    assert (period.since, period.until) == (since, until)


def test_last_month_in_january_is_december():
    period = period_in("What happened last month?", dt.date(2025, 1, 15))
    assert (period.since, period.until) == (dt.date(2024, 12, 1), dt.date(2024, 12, 31))


@pytest.mark.parametrize("question", ["Who is the French President?", "What does the EU know now?", "Who won 2022 votes?"])
def test_no_time_words_no_range(question):
    assert period_in(question, AS_OF) is None


def test_a_dateline_dates_an_undated_article_and_nothing_else_does():
    assert dateline_date("KYIV, March 3, 2022 (Reuters) - Talks resumed.") == dt.date(2022, 3, 3)
    assert dateline_date("LONDON, 9 Sept. 2025 — Prices rose.") == dt.date(2025, 9, 9)
    assert dateline_date("On Tuesday the minister said the war began in early 2022.") is None
    assert dateline_date("Posted 2024-02-30: an impossible day") is None
    assert dateline_date("x " * 150 + "March 3, 2022") is None, "a date deep in the text is what the story is about"
    article = parse_plain("date 2021-01-02\nWASHINGTON, March 3, 2022 - text", "d")
    assert article.date == dt.date(2021, 1, 2), "a date header wins over the dateline"
