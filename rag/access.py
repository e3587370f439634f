"""Who a bearer key is: its principal (a name, a role, the collections it may use).

Keys come from two places. `RAG_API_KEYS` (plain keys in the environment, as before
collections) are readers of every collection. The keys file `RAG_KEYS_FILE` holds one
`[[keys]]` TOML table per key with only the key's SHA-256, so a leaked file gives no key
away; `rag keys add` prints a new key once and appends its entry. Presented keys are hashed
and compared with every entry in constant time, so timing says nothing about which matched.
The file is re-read when it changes, so a key added while the server runs works at once.

These are access rules, not HTTP: they live here so that `rag keys` (the CLI) and the server's
API-key middleware (server/middleware/api_keys.py) use the same ones, and the CLI needs no server.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from index.errors import RagError
from index.store import COLLECTION_PATTERN, COLLECTION_RULE, valid_collection

log = logging.getLogger(__name__)

Role = Literal["reader", "editor", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
EVERY_COLLECTION = "*"
_NAME = re.compile(COLLECTION_PATTERN)  # key names follow the collection-name rule
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class KeysFileError(RagError, ValueError):
    """The keys file cannot be used as it is; the message names the entry and the fix."""


@dataclass(frozen=True)
class Principal:
    """What a request may do. `collections` None is every collection (an admin, or a key
    listed with "*"); `reader` asks, `editor` also adds and deletes documents in its
    collections, `admin` does everything in every collection."""

    name: str
    role: Role
    collections: frozenset[str] | None

    @property
    def readable(self) -> frozenset[str] | None:
        return None if self.role == "admin" else self.collections

    def can_write(self, collection: str) -> bool:
        if self.role == "admin":
            return True
        return self.role == "editor" and (self.collections is None or collection in self.collections)


# a server with no keys at all is open, as it always was: everyone may do everything
OPEN = Principal("anonymous", "admin", None)


def hash_key(key: str | bytes) -> str:
    return hashlib.sha256(key.encode() if isinstance(key, str) else key).hexdigest()


def _collections(values: list[str]) -> frozenset[str] | None:
    if EVERY_COLLECTION in values:
        return None
    return frozenset(valid_collection(v) for v in values)


def parse_collections(text: str) -> list[str]:
    """`news,support` (the CLI's --collections) as a list; "*" is every collection."""
    values = [v.strip() for v in text.split(",") if v.strip()]
    if not values:
        raise KeysFileError("no collection given: name at least one (or * for every collection)")
    for v in values:
        if v != EVERY_COLLECTION:
            valid_collection(v)
    return values


@dataclass(frozen=True)
class KeyEntry:
    principal: Principal
    sha256: str


def load_keys_file(path: Path) -> list[KeyEntry]:
    """Every entry of the file, checked: a broken file is refused whole, never half-used."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KeysFileError(f"the keys file {path} does not exist: create a key with `rag keys add NAME`") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise KeysFileError(f"the keys file {path} is unreadable: {exc}") from None
    tables = data.get("keys", [])
    if not isinstance(tables, list):
        raise KeysFileError(f"{path}: `keys` must be an array of tables ([[keys]])")
    entries, names = [], set()
    for n, table in enumerate(tables, start=1):
        where = f"{path}: key #{n}"
        if not isinstance(table, dict):
            raise KeysFileError(f"{where} is not a table")
        name, digest, role, collections = (table.get(k) for k in ("name", "sha256", "role", "collections"))
        if not isinstance(name, str) or not _NAME.match(name):
            raise KeysFileError(f"{where}: invalid `name`: {COLLECTION_RULE}")
        if name in names:
            raise KeysFileError(f"{where}: the name {name!r} is used twice")
        if not isinstance(digest, str) or not _DIGEST.match(digest):
            raise KeysFileError(f"{where} ({name}): `sha256` must be the key's SHA-256 as 64 lower-case hex digits")
        if role not in ROLES:
            raise KeysFileError(f"{where} ({name}): `role` must be one of {', '.join(ROLES)}")
        if not isinstance(collections, list) or not collections or not all(isinstance(c, str) for c in collections):
            raise KeysFileError(f'{where} ({name}): `collections` must be a list of names (["*"] for every collection)')
        try:
            readable = _collections(collections)
        except ValueError as exc:
            raise KeysFileError(f"{where} ({name}): {exc}") from None
        names.add(name)
        entries.append(KeyEntry(Principal(name, role, readable), digest))
    return entries


def add_key(path: Path, name: str, role: str, collections: list[str]) -> str:
    """Append an entry for a new random key and return the key (shown once, stored hashed).
    The file is checked before and after, and created readable by its owner only."""
    if not _NAME.match(name):
        raise KeysFileError(f"invalid key name {name!r}: {COLLECTION_RULE}")
    if role not in ROLES:
        raise KeysFileError(f"invalid role {role!r}: use one of {', '.join(ROLES)}")
    existing = load_keys_file(path) if path.exists() else []
    if any(e.principal.name == name for e in existing):
        raise KeysFileError(f"{path} already has a key named {name!r}")
    key = "rag_" + secrets.token_urlsafe(32)
    listed = ", ".join(f'"{c}"' for c in collections)  # names are checked: no TOML escaping needed
    entry = f'\n[[keys]]\nname = "{name}"\nsha256 = "{hash_key(key)}"\nrole = "{role}"\ncollections = [{listed}]\n'
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(entry)
        fh.flush()
        os.fsync(fh.fileno())
    load_keys_file(path)
    return key


class KeyRing:
    """Bearer key -> Principal, from RAG_API_KEYS and the keys file (re-read when it changes;
    a broken edit is logged and the keys loaded before it stay in force)."""

    def __init__(self, api_keys: list[str], keys_file: Path | None) -> None:
        # "env:" cannot begin a keys-file name, so no file entry can share these keys' conversations
        self._plain = [(k.encode(), Principal(f"env:api-key-{n}", "reader", None)) for n, k in enumerate(api_keys, start=1)]
        self._file = keys_file
        self._stamp: tuple[int, int] | None = None
        self._entries: list[KeyEntry] = []
        self._lock = threading.Lock()
        if keys_file is not None:
            self._entries = load_keys_file(keys_file)  # a broken file stops the server before it starts
            self._stamp = self._file_stamp()

    @property
    def enabled(self) -> bool:
        return bool(self._plain) or self._file is not None

    def principals(self) -> list[Principal]:
        self._refresh()
        return [p for _, p in self._plain] + [e.principal for e in self._entries]

    def _file_stamp(self) -> tuple[int, int] | None:
        if self._file is None:
            return None
        try:
            st = os.stat(self._file)
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def _refresh(self) -> None:
        if self._file is None or self._file_stamp() == self._stamp:
            return
        with self._lock:
            stamp = self._file_stamp()
            if stamp == self._stamp:
                return
            try:
                self._entries = load_keys_file(self._file)
            except KeysFileError as exc:
                log.warning("keys file not reloaded, the previous keys stay in force: %s", exc)
            self._stamp = stamp

    def principal(self, token: bytes) -> Principal | None:
        self._refresh()
        digest = hash_key(token).encode()
        found = None
        for key, principal in self._plain:  # compare with every key: timing says nothing about which
            if hmac.compare_digest(token, key):
                found = principal
        for entry in self._entries:
            if hmac.compare_digest(digest, entry.sha256.encode()):
                found = entry.principal
        return found
