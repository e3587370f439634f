"""SQLite connections as every store of the product opens them (the index, conversations,
Slack's event memory): autocommit with explicit transactions, WAL, one connection per thread."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def connect_wal(path: Path) -> sqlite3.Connection:
    """A connection for one thread: autocommit (transactions are explicit), WAL so readers
    never block the writer, foreign keys enforced."""
    con = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA foreign_keys=ON")
    con.execute("PRAGMA synchronous=NORMAL")
    return con


@contextmanager
def write_transaction(con: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """All of the block or none of it; IMMEDIATE takes the write lock up front, so two
    writers queue instead of failing half-way with 'database is locked'."""
    con.execute("BEGIN IMMEDIATE")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


class ThreadConnections:
    """One connect_wal() connection per thread: the server answers on a pool of threads, and
    a sqlite3 connection must not be shared by two of them in the middle of a transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    def get(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = self._local.con = connect_wal(self.path)
        return con

    def close(self) -> None:
        """Close the calling thread's connection."""
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None
