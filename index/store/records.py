"""What the store hands back: rows with their document's metadata, as frozen records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from index.store.collection import DEFAULT_COLLECTION


@dataclass(frozen=True)
class StoredChunk:
    chunk_id: int
    doc_id: str
    ordinal: int
    start: int
    end: int
    text: str
    title: str
    date: dt.date | None
    source: str | None
    collection: str = DEFAULT_COLLECTION


@dataclass(frozen=True)
class StoredOutlet:
    """One published copy of a story."""

    doc_id: str
    source: str | None
    date: dt.date | None


@dataclass(frozen=True)
class StoredDocument:
    doc_id: str
    title: str
    date: dt.date | None
    source: str | None
    path: str | None
    sha256: str
    text: str
    chunks: int
    collection: str = DEFAULT_COLLECTION
    ingested_at: str | None = None


def stored_date(value: str | None) -> dt.date | None:
    """A date column (ISO text or NULL) as a date."""
    return dt.date.fromisoformat(value) if value else None
