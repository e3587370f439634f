"""`Filters`: which documents a request may draw on, as one WHERE fragment every search shares."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace


def _tuple(values: Iterable[str] | None) -> tuple[str, ...] | None:
    """A request's list as a filter value: missing or empty means no constraint."""
    return tuple(values) if values else None


@dataclass(frozen=True)
class Filters:
    """Narrow a request by metadata; None means no constraint.

    `collections` is also access: None is every collection, an empty tuple is none at all
    (a caller who may read nothing finds nothing, never everything).
    """

    since: dt.date | None = None
    until: dt.date | None = None
    sources: tuple[str, ...] | None = None
    doc_ids: tuple[str, ...] | None = None
    collections: tuple[str, ...] | None = None
    # a range read from a question's words ("this week") keeps undated articles: they cannot be
    # ruled out, and the answer says it is undated; an explicit since/until is strict
    keep_undated: bool = False

    @classmethod
    def of(
        cls,
        since: dt.date | None = None,
        until: dt.date | None = None,
        sources: Iterable[str] | None = None,
        doc_ids: Iterable[str] | None = None,
        collections: Iterable[str] | None = None,
    ) -> Filters:
        """From a request's fields (HTTP body, CLI flags), where an empty list means no constraint."""
        return cls(since, until, _tuple(sources), _tuple(doc_ids), _tuple(collections))

    def is_empty(self) -> bool:
        return self.since is None and self.until is None and not self.sources and not self.doc_ids and self.collections is None

    def within(self, readable: frozenset[str] | None) -> Filters:
        """These filters restricted to the `readable` collections (None: all): a request's own
        `collections` may narrow what the caller reads, never widen it."""
        if readable is None:
            return self
        asked = readable if self.collections is None else readable & set(self.collections)
        return replace(self, collections=tuple(sorted(asked)))

    def sql(self) -> tuple[str, list]:
        """A WHERE fragment over `documents d` and its parameters."""
        clauses, params = ["1=1"], []
        undated = "d.date IS NULL OR " if self.keep_undated else ""
        if self.since:
            clauses.append(f"({undated}d.date >= ?)")
            params.append(self.since.isoformat())
        if self.until:
            clauses.append(f"({undated}d.date <= ?)")
            params.append(self.until.isoformat())
        if self.sources:
            clauses.append(f"d.source IN ({','.join('?' * len(self.sources))})")
            params += list(self.sources)
        if self.doc_ids:
            clauses.append(f"d.doc_id IN ({','.join('?' * len(self.doc_ids))})")
            params += list(self.doc_ids)
        if self.collections is not None:
            clauses.append(f"d.collection IN ({','.join('?' * len(self.collections))})" if self.collections else "0")
            params += list(self.collections)
        return " AND ".join(clauses), params
