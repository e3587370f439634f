"""Collection names: the one rule for them, used wherever a name comes in (CLI, HTTP, keys file, Slack)."""

from __future__ import annotations

import re

DEFAULT_COLLECTION = "default"
COLLECTION_PATTERN = r"^[A-Za-z0-9_.\-]{1,64}$"
COLLECTION_RULE = "use 1-64 letters, digits, '.', '_' or '-'"


def is_valid_collection(name: object) -> bool:
    return isinstance(name, str) and re.match(COLLECTION_PATTERN, name) is not None


def valid_collection(name: str) -> str:
    """Collection names travel in URLs, TOML and metric labels: a short safe alphabet."""
    if not is_valid_collection(name):
        raise ValueError(f"invalid collection name {str(name)[:80]!r}: {COLLECTION_RULE}")
    return name
