"""Feeds and article URLs in: RSS/Atom (feedparser), each item's page fetched (httpx) and its
main content extracted (index/parse.py, trafilatura), then ingested like any file.

An item's GUID (else its link) is the document's identity, so reading a feed again adds what
is new, replaces what changed and leaves the rest alone; an item that drops out of the feed
stays in the index (the feed is a window, not the archive). Everything fetched is bounded: a
timeout per request, a size limit per response, and a user agent that says who is asking.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import httpx

from index.ingest import Ingestor, IngestReport
from index.inputs import is_url
from index.parse import ParseError, parse_html
from index.store import DEFAULT_COLLECTION, valid_collection
from index.types import Article

_SLUG = re.compile(r"[^\w.\-]+")


class FetchError(RuntimeError):
    """A feed or page that could not be fetched or read; the message names the URL and why."""


def doc_id_for(identity: str) -> str:
    """A valid, stable doc_id for a GUID or URL: readable words from it plus a short hash, so
    two GUIDs that slug alike never collide."""
    parts = urlsplit(identity)
    readable = f"{parts.netloc}{parts.path}" if parts.scheme in ("http", "https") else identity
    slug = _SLUG.sub("-", readable).strip("-.")[:80] or "item"
    return f"{slug}-{hashlib.sha256(identity.encode()).hexdigest()[:10]}"


@dataclass(frozen=True)
class Fetched:
    url: str
    status: int  # 200, or 304 when a conditional GET found nothing new
    content: bytes
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class FeedItem:
    identity: str  # GUID, else link
    link: str
    title: str | None
    date: dt.date | None
    source: str | None  # the item's own <source>: the outlet, when the feed aggregates others
    channel: str | None = None  # the feed's title
    version: str = ""  # the item's <updated>/<pubDate> as written: it moves when the publisher edits

    @property
    def doc_id(self) -> str:
        return doc_id_for(self.identity)

    @property
    def fingerprint(self) -> tuple:
        return (self.identity, self.link, self.title, self.version)


class Fetcher:
    """httpx with the limits every fetch needs; one client (connection pool) for all requests."""

    def __init__(self, timeout: float = 20.0, max_bytes: int = 5_000_000, user_agent: str = "rag-news") -> None:
        self.max_bytes = max_bytes
        self.client = httpx.Client(timeout=timeout, follow_redirects=True, headers={"User-Agent": user_agent})

    def get(self, url: str, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            with self.client.stream("GET", url, headers=headers) as response:
                if response.status_code == 304:
                    return Fetched(url, 304, b"", etag, last_modified)
                if response.status_code != 200:
                    raise FetchError(f"{url}: HTTP {response.status_code}")
                declared = int(response.headers.get("content-length") or 0)
                if declared > self.max_bytes:
                    raise FetchError(f"{url}: {declared} bytes, over the {self.max_bytes}-byte limit")
                body = bytearray()
                for part in response.iter_bytes():
                    body += part
                    if len(body) > self.max_bytes:
                        raise FetchError(f"{url}: over the {self.max_bytes}-byte limit")
                return Fetched(url, 200, bytes(body), response.headers.get("etag"), response.headers.get("last-modified"))
        except httpx.HTTPError as exc:
            raise FetchError(f"{url}: {type(exc).__name__}: {exc}") from None

    def close(self) -> None:
        self.client.close()


def _own(entry: dict, key: str):
    """The entry's own field: feedparser's `entry.get("updated")` falls back to `published`,
    with a deprecation warning, when the feed has no <updated>."""
    return dict.get(entry, key)


def _entry_date(entry: dict) -> dt.date | None:
    parsed = _own(entry, "published_parsed") or _own(entry, "updated_parsed")
    return dt.datetime.fromtimestamp(calendar.timegm(parsed), dt.UTC).date() if parsed else None


def parse_feed(content: bytes, where: str) -> list[FeedItem]:
    """The items of an RSS or Atom document; FetchError when it is not a feed at all."""
    feed = feedparser.parse(content)
    if not feed.version and not feed.entries:
        reason = feed.get("bozo_exception") or "no RSS or Atom feed found"
        raise FetchError(f"{where}: not a feed ({reason})")
    channel = feed.feed.get("title")
    items = []
    for entry in feed.entries:
        link = entry.get("link")
        identity = entry.get("id") or link
        if not link or not is_url(link):
            continue  # an item with no web page to fetch cannot become an article
        source = (entry.get("source") or {}).get("title")
        version = _own(entry, "updated") or _own(entry, "published") or ""
        items.append(FeedItem(identity, link, entry.get("title"), _entry_date(entry), source, channel, version))
    return items


def _decode(content: bytes) -> str:
    return content.decode("utf-8", errors="replace")


def page_article(fetched: Fetched, doc_id: str, item: FeedItem | None = None) -> Article:
    """The page's main content as an Article; the feed item's title and date, where it has them,
    override what the page says (the feed is the publisher's own metadata). The source is the
    outlet: the item's <source>, else the page's site name, else the feed's title."""
    article = parse_html(_decode(fetched.content), doc_id, fetched.url)
    if item is None:
        return article
    return Article(
        doc_id=article.doc_id,
        title=(item.title or article.title)[:121],
        text=article.text,
        date=item.date or article.date,
        source=item.source or article.source or item.channel,
        path=item.link,
        body_start=article.body_start,
        byline=article.byline,
    )


class FeedReader:
    """Reads feeds and article URLs into the index through the ingestor.

    It remembers the items it has ingested, so a long-running reader (`rag watch`) fetches the
    page of an item again only when the feed shows the item changed (its title, link or date).
    Everything it reads goes into one `collection`, like `rag ingest --collection`."""

    def __init__(self, ingestor: Ingestor, fetcher: Fetcher, collection: str = DEFAULT_COLLECTION) -> None:
        self.ingestor = ingestor
        self.fetcher = fetcher
        self.collection = valid_collection(collection)
        self._ingested: set[tuple] = set()

    def read_items(self, items: list[FeedItem], report: IngestReport) -> list[tuple[FeedItem, Article]]:
        """Fetch each new or changed item's page; a page that fails is reported and the others
        still come in."""
        articles = []
        for item in items:
            if item.fingerprint in self._ingested:
                report.unchanged.append(item.doc_id)
                continue
            try:
                articles.append((item, page_article(self.fetcher.get(item.link), item.doc_id, item)))
            except (FetchError, ParseError) as exc:
                report.failed.append((item.link, str(exc)))
        return articles

    def ingest_feed(self, content: bytes, where: str, report: IngestReport | None = None) -> IngestReport:
        report = report or IngestReport()
        read = self.read_items(parse_feed(content, where), report)
        self.ingestor.ingest_articles([article for _, article in read], report, collection=self.collection)
        self._ingested.update(item.fingerprint for item, _ in read)
        return report

    def ingest_url(self, url: str, report: IngestReport | None = None) -> IngestReport:
        """A feed URL or an article page: whichever the fetched document turns out to be."""
        report = report or IngestReport()
        try:
            fetched = self.fetcher.get(url)
            try:
                return self.ingest_feed(fetched.content, url, report)
            except FetchError:
                article = page_article(fetched, doc_id_for(url))
        except (FetchError, ParseError) as exc:
            report.failed.append((url, str(exc)))
            return report
        return self.ingestor.ingest_articles([article], report, collection=self.collection)

    def ingest_feed_file(self, path: Path, report: IngestReport | None = None) -> IngestReport:
        report = report or IngestReport()
        try:
            return self.ingest_feed(path.read_bytes(), str(path), report)
        except (FetchError, OSError) as exc:
            report.failed.append((str(path), str(exc)))
            return report
