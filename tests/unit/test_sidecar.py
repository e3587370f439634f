"""A metadata sidecar dates articles that state no date, without editing their text."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from index.parse import find_article_files, parse_file
from index.sidecar import SIDECAR_NAME, SidecarError, period_start, with_sidecars

REPO = Path(__file__).resolve().parents[2]


def test_a_sidecar_fills_what_the_article_lacks_and_never_overrides_it(tmp_path):
    (tmp_path / "a.txt").write_text("No date in here. The mayor spoke.", encoding="utf-8")
    (tmp_path / "b.txt").write_text("date 2021-02-03\nThe mayor spoke again.", encoding="utf-8")
    (tmp_path / SIDECAR_NAME).write_text(
        json.dumps({"a": {"date": "2024-05", "source": "Heron Post"}, "b": {"date": "2025-01-01", "source": "X"}})
    )
    files = find_article_files([tmp_path])
    assert [f.name for f in files] == ["a.txt", "b.txt"], "the sidecar is not an article"
    a, b = with_sidecars([article for f in files for article in parse_file(f)])
    assert (a.date, a.source) == (dt.date(2024, 5, 1), "Heron Post")
    assert b.date == dt.date(2021, 2, 3), "the article's own date header wins"


@pytest.mark.parametrize(
    ("value", "day"), [("2022", dt.date(2022, 1, 1)), ("2025-09", dt.date(2025, 9, 1)), ("2025-09-09", dt.date(2025, 9, 9))]
)
def test_a_period_is_stored_as_its_first_day(value, day):
    assert period_start(value) == day


@pytest.mark.parametrize("value", ["September 2025", "2025-13", "2025-02-30", ""])
def test_what_is_not_a_date_is_refused(value):
    with pytest.raises(SidecarError):
        period_start(value)


def test_every_seed_sidecar_value_says_where_it_came_from():
    data = json.loads((REPO / "seeds" / SIDECAR_NAME).read_text(encoding="utf-8"))
    assert set(data) == {p.stem for p in find_article_files([REPO / "seeds"])}
    for meta in data.values():
        assert meta["date_from"] and meta["source_from"]
        if meta["date"]:
            period_start(meta["date"])
