"""`rag watch`: poll feeds on a schedule and ingest what is new.

Each feed is fetched with a conditional GET (ETag / Last-Modified), so an unchanged feed costs
one small request and no parsing. A feed that fails waits twice as long before each retry (up
to `max_backoff`) and never stops the others. Every poll ends with one summary line.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from index.feeds import FeedReader
from index.ingest import IngestReport
from index.inputs import is_url

log = logging.getLogger(__name__)

_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$", re.IGNORECASE)
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(text: str) -> float:
    """'15m', '30s', '1h', '2d' or plain seconds; ValueError with the accepted forms otherwise."""
    match = _INTERVAL.match(text)
    if not match:
        raise ValueError(f"not an interval: {text!r} (use e.g. 30s, 15m, 1h)")
    return float(match[1]) * _SECONDS[(match[2] or "s").lower()]


@dataclass
class _FeedState:
    url: str
    etag: str | None = None
    last_modified: str | None = None
    failures: int = 0
    due: float = 0.0  # time.monotonic() of the next fetch


class FeedWatcher:
    def __init__(self, reader: FeedReader, feeds: list[str], every: float, max_backoff: float = 6 * 3600) -> None:
        bad = [f for f in feeds if not is_url(f)]
        if bad:
            raise ValueError(f"feeds to watch must be http(s) URLs: {', '.join(bad)}")
        self.reader = reader
        self.every = every
        self.max_backoff = max(max_backoff, every)
        self.feeds = [_FeedState(url) for url in dict.fromkeys(feeds)]
        self.polls = 0

    def poll(self, now: float | None = None) -> str:
        """Fetch every feed that is due; returns the poll's one-line summary."""
        now = time.monotonic() if now is None else now
        self.polls += 1
        parts = [self._poll_feed(feed, now) for feed in self.feeds if feed.due <= now]
        return f"poll {self.polls}: " + ("; ".join(parts) or "no feed due")

    def _poll_feed(self, feed: _FeedState, now: float) -> str:
        try:
            fetched = self.reader.fetcher.get(feed.url, feed.etag, feed.last_modified)
            if fetched.status == 304:
                outcome = "not modified"
            else:
                report = self.reader.ingest_feed(fetched.content, feed.url, IngestReport())
                outcome = report.summary()
                for where, reason in report.failed:
                    log.warning("feed %s: skipped %s: %s", feed.url, where, reason)
                feed.etag, feed.last_modified = fetched.etag, fetched.last_modified
        except Exception as exc:  # noqa: BLE001 - whatever one feed does, the others are still polled
            log.debug("feed %s failed", feed.url, exc_info=True)
            feed.failures += 1
            wait = min(self.every * 2**feed.failures, self.max_backoff)
            feed.due = now + wait
            return f"{feed.url}: error ({exc}); retry in {wait:.0f}s"
        feed.failures = 0
        feed.due = now + self.every
        return f"{feed.url}: {outcome}"

    def run(
        self,
        max_polls: int | None = None,
        stop: threading.Event | None = None,
        say: Callable[[str], None] = print,
    ) -> None:
        """Poll until `max_polls` polls are done or `stop` is set, sleeping until the next feed is due."""
        stop = stop or threading.Event()
        while not stop.is_set() and (max_polls is None or self.polls < max_polls):
            say(self.poll())
            if max_polls is not None and self.polls >= max_polls:
                break
            stop.wait(max(0.0, min(f.due for f in self.feeds) - time.monotonic()))
