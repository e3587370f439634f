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
        ("What is the latest sanctions package?", dt.date(2024, 9, 13), AS_OF),
        ("Who won the 2022 finals?", dt.date(2022, 1, 1), dt.date(2022, 12, 31)),
        ("What changed between 2022 and 2023?", dt.date(2022, 1, 1), dt.date(2023, 12, 31)),
        ("What has the council decided since May?", dt.date(2025, 5, 1), AS_OF),
        ("What has the council decided since October?", dt.date(2024, 10, 1), AS_OF),
        ("Who has led the club since 2023?", dt.date(2023, 1, 1), AS_OF),
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


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("What did the EU agree this week?", "window"),
        ("Who is the current harbourmaster?", "window"),
        ("What happened recently in Kyiv?", "window"),
        ("Who won the 2022 finals?", "named"),
        ("What happened in March 2024?", "named"),
        ("What changed between 2022 and 2023?", "range"),
        ("What happened last week in Kyiv?", "range"),
        ("Who won the 2022 finals this week?", "window"),
        ("Who has led the club since May, the latest coach or 2023's?", "range"),
    ],
)
def test_ranges_are_filters_windows_widen_and_named_periods_are_priors(question, kind):
    """Only what the user drew is a hard filter; the rest is where to look first, or a prior."""
    assert period_in(question, AS_OF).kind == kind


@pytest.mark.parametrize("question", ["Who is the French President?", "What does the EU know now?", "Who won 20 votes?"])
def test_no_time_words_no_range(question):
    assert period_in(question, AS_OF) is None


def test_a_weekday_next_to_a_day_and_month_names_the_year_when_one_recent_year_fits():
    today = dt.date(2026, 12, 7)
    assert dateline_date("KYIV, Tuesday, March 3 (Reuters) - Talks resumed.", today) == dt.date(2026, 3, 3)
    assert dateline_date("LONDON, Tuesday 9 September - Prices rose.", today) == dt.date(2025, 9, 9)
    assert dateline_date("KYIV, Monday, March 3 (Reuters) - Talks resumed.", today) == dt.date(2025, 3, 3)
    # 2020 is the last year with a Wednesday 30 December: older than five years, left undated, not guessed
    assert dateline_date("ROME, Wednesday, December 30 - The vote was put off.", today) is None
    assert dateline_date("ROME, Friday, December 11 - Not yet.", today) is None, "2026's is still to come, 2020's is too old"
    assert dateline_date("Ukraine said on Tuesday that talks resumed on March 3.", today) is None, "a weekday next to no date"
    assert dateline_date("KYIV, Tuesday, March 3, 2020 - Talks resumed.", today) == dt.date(2020, 3, 3), "a full date wins"
    ten_days_ago = dt.date.today() - dt.timedelta(days=10)  # an article ingested today, counted back from today
    article = parse_plain(f"KYIV, {ten_days_ago:%A}, {ten_days_ago:%B} {ten_days_ago.day} (Reuters) - Talks resumed.\n", "d")
    assert article.date == ten_days_ago


def test_a_dateline_dates_an_undated_article_and_nothing_else_does():
    assert dateline_date("KYIV, March 3, 2022 (Reuters) - Talks resumed.") == dt.date(2022, 3, 3)
    assert dateline_date("LONDON, 9 Sept. 2025 — Prices rose.") == dt.date(2025, 9, 9)
    assert dateline_date("On Tuesday the minister said the war began in early 2022.") is None
    assert dateline_date("Posted 2024-02-30: an impossible day") is None
    assert dateline_date("x " * 150 + "March 3, 2022") is None, "a date deep in the text is what the story is about"
    article = parse_plain("date 2021-01-02\nWASHINGTON, March 3, 2022 - text", "d")
    assert article.date == dt.date(2021, 1, 2), "a date header wins over the dateline"
