"""The records that flow from files to the store; every layer above imports these."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Article:
    doc_id: str
    title: str
    text: str  # the text every character offset in the product points into
    date: dt.date | None = None
    source: str | None = None
    path: str | None = None
    body_start: int = 0  # header lines before this are metadata: kept in text, never chunked or read
    byline: str | None = None  # the author(s) a news page names


@dataclass(frozen=True)
class Chunk:
    doc_id: str
    ordinal: int
    start: int  # chunk.text == article.text[start:end], always
    end: int
    text: str
    tokens: int
