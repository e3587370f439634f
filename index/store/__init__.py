"""The index's SQLite store: connections, schema and migrations, collection names, filters,
the records it returns, and `Store` itself. Import from here (`from index.store import Store,
Filters`); the submodules are the store's own layout."""

from index.store.collection import (
    COLLECTION_PATTERN,
    COLLECTION_RULE,
    DEFAULT_COLLECTION,
    is_valid_collection,
    valid_collection,
)
from index.store.connection import ThreadConnections, connect_wal, write_transaction
from index.store.filters import Filters
from index.store.records import StoredChunk, StoredDocument, StoredOutlet
from index.store.store import Store, StoreError, article_hash

__all__ = [
    "COLLECTION_PATTERN",
    "COLLECTION_RULE",
    "DEFAULT_COLLECTION",
    "Filters",
    "Store",
    "StoreError",
    "StoredChunk",
    "StoredDocument",
    "StoredOutlet",
    "ThreadConnections",
    "article_hash",
    "connect_wal",
    "is_valid_collection",
    "valid_collection",
    "write_transaction",
]
