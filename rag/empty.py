"""Why a search had nothing to read: an empty corpus, or the filter that left nothing.

"The corpus is empty" said whenever filters excluded every article sends the user to ingest
what is already there (the README's own `--source AFP` example did). Each filter is tried on
its own, inside the collections the request may read (so a reply never tells of articles in a
collection the caller cannot see), and the reply names the one that matched nothing.
"""

from __future__ import annotations

from dataclasses import replace

from index.store import Filters, Store

EMPTY_CORPUS = "The corpus is empty: ingest articles first (rag ingest PATH)."


def _dates(filters: Filters) -> str:
    if filters.since and filters.until:
        return f"dated between {filters.since.isoformat()} and {filters.until.isoformat()}"
    if filters.since:
        return f"dated on or after {filters.since.isoformat()}"
    return f"dated on or before {filters.until.isoformat() if filters.until else ''}"


def _named(word: str, values: tuple[str, ...]) -> str:
    return f"{word}{'s' if len(values) > 1 else ''} {', '.join(values)}"


def nothing_to_read(store: Store, filters: Filters | None) -> str:
    """The reply's message when retrieval found no passage at all under `filters`."""
    if store.counts()[0] == 0:
        return EMPTY_CORPUS
    filters = filters or Filters()
    readable = Filters(collections=filters.collections)
    if store.chunk_ids(readable).size == 0:
        if not filters.collections:
            return "Nothing to search: this request may read no collection."
        return f"Nothing to search: no article in {_named('collection', filters.collections)}."
    tried: list[tuple[str, Filters]] = []
    if filters.sources:
        tried.append((f"from {_named('source', filters.sources)}", replace(readable, sources=filters.sources)))
    if filters.since or filters.until:
        dated = replace(readable, since=filters.since, until=filters.until, keep_undated=filters.keep_undated)
        tried.append((_dates(filters), dated))
    if filters.doc_ids:
        tried.append((f"with {_named('doc_id', filters.doc_ids)}", replace(readable, doc_ids=filters.doc_ids)))
    if not tried:
        return "Nothing to search: retrieval found no passage for this question."
    empty = [label for label, alone in tried if store.chunk_ids(alone).size == 0]
    if empty:
        return f"Nothing to search: no article {' and no article '.join(empty)}. Widen or remove that filter."
    together = "; ".join(label for label, _ in tried)
    return f"Nothing to search: no article matches all the filters at once ({together})."
