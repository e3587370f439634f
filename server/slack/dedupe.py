"""Remembers which Slack events were already taken, so a retried delivery is never answered twice.

Slack redelivers an event it thinks timed out (immediately, after a minute, after five; the
`X-Slack-Retry-Num` header counts them) with the same `event_id`. The record lives in SQLite
in the data directory rather than in process memory because the costly case is exactly a
restart: a deploy that kills the process mid-answer is followed by Slack's retry, and an
in-memory set would have forgotten the event and answer it again. SQLite's `INSERT OR
IGNORE` on a primary key is also atomic across processes, so several server workers sharing
the data directory still take each event once.

The trade-off is at-most-once: an event taken by a process that then dies before posting is
not answered by the retry. For a chat bot a missing answer (the user asks again) is better
than a duplicated one, which is what the issue asks for.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from index.store import connect_wal

log = logging.getLogger(__name__)

RETENTION_SECONDS = 24 * 3600  # Slack gives up retrying after about an hour; a day is generous


class SeenEvents:
    """A bounded, persistent set of event ids: `claim` is true exactly once per id."""

    def __init__(self, path: Path, retention_seconds: float = RETENTION_SECONDS) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._retention = retention_seconds
        self._lock = threading.Lock()  # one connection shared by bolt's listener threads
        self._db = connect_wal(path)
        self._db.execute("CREATE TABLE IF NOT EXISTS slack_events (event_id TEXT PRIMARY KEY, seen_at REAL NOT NULL)")
        self._db.execute("CREATE INDEX IF NOT EXISTS slack_events_seen_at ON slack_events (seen_at)")

    def claim(self, event_id: str) -> bool:
        """True the first time `event_id` is seen (the caller should handle it), false for every repeat."""
        now = time.time()
        with self._lock:
            self._db.execute("DELETE FROM slack_events WHERE seen_at < ?", (now - self._retention,))
            cur = self._db.execute("INSERT OR IGNORE INTO slack_events (event_id, seen_at) VALUES (?, ?)", (event_id, now))
            return cur.rowcount == 1

    def close(self) -> None:
        with self._lock:
            self._db.close()


class DropRepeatedEvents(Middleware):
    """Bolt middleware: an Events API delivery whose `event_id` was already taken is acknowledged and dropped.

    It runs after bolt's signature check, so a forged request can never claim an id.
    """

    def __init__(self, seen: SeenEvents) -> None:
        self._seen = seen

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse | None:
        event_id = req.body.get("event_id")
        if event_id and not self._seen.claim(event_id):
            retry = (req.headers.get("x-slack-retry-num") or ["?"])[0]
            log.info("Slack event %s already taken; retry %s acknowledged and dropped", event_id, retry)
            return req.context.ack()
        return next()
