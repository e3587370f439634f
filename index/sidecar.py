"""Dates and outlets for articles that do not carry them, from a `metadata.json` beside them.

An article file is the text as published: editing a date into it would make its text, and so
every character offset a citation points to, differ from the source. A sidecar keeps what is
known about each article apart from it, and says where each value came from, so a reader of
the sidecar can check it against the article:

    {"003_dc648fb631336634": {"date": "2025-09", "date_from": "the text: ...", "source": null}}

`date` may be a day, a month ("2025-09") or a year ("2025"); the article is stored as of the
first day of that period, which keeps it eligible for any question asked during the period.
A value the article file itself states (a date header, a dateline, HTML metadata) wins over
the sidecar: the sidecar only fills what is missing.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

from index.types import Article

SIDECAR_NAME = "metadata.json"


class SidecarError(ValueError):
    pass


def period_start(value: str) -> dt.date:
    """The first day of "YYYY", "YYYY-MM" or "YYYY-MM-DD"."""
    parts = value.split("-")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        raise SidecarError(f"not a date, month or year: {value!r}")
    try:
        year, month, day = (int(p) for p in [*parts, "1", "1"][:3])
        return dt.date(year, month, day)
    except ValueError as exc:
        raise SidecarError(f"not a date, month or year: {value!r}") from exc


def load(folder: Path) -> dict[str, dict[str, str | None]]:
    """The sidecar of one folder (empty when it has none)."""
    path = folder / SIDECAR_NAME
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise SidecarError(f"{path}: expected an object of doc_id -> {{date, source, ...}}")
    return data


def with_sidecars(articles: list[Article]) -> list[Article]:
    """The articles with the date and source their folder's sidecar gives, where they lack them."""
    sidecars: dict[Path, dict[str, dict[str, str | None]]] = {}
    out = []
    for article in articles:
        folder = Path(article.path).parent if article.path else None
        if folder is not None and folder not in sidecars:
            sidecars[folder] = load(folder)
        meta = sidecars.get(folder, {}).get(article.doc_id, {}) if folder is not None else {}
        date, source = meta.get("date"), meta.get("source")
        out.append(
            replace(
                article,
                date=article.date or (period_start(date) if date else None),
                source=article.source or source or None,
            )
        )
    return out
