"""Feeds and article pages from a real HTTP server on 127.0.0.1: main content only, identity by
GUID, a feed that changes between polls, conditional GETs, and a failing feed among good ones."""

from __future__ import annotations

import datetime as dt
import time

import httpx
import pytest

from cli.main import main
from index.feed_watch import FeedWatcher, parse_interval
from index.feeds import FeedReader, Fetcher, FetchError, doc_id_for, parse_feed
from index.store import Filters
from rag.service import Services
from rag.settings import Settings
from tests.news_site import COMMENT_FACT, FOOTER_FACT, NewsSite, Story, article_page
from tests.serve_process import ServeProcess

BRIDGE = Story(
    "bridge",
    "Harbour bridge reopens after repairs",
    dt.date(2025, 3, 4),
    (
        "The Kestrel Harbour bridge reopened to traffic on Monday after eight months of repairs, the city's transport office said.",
        "Engineers replaced 140 steel cables and resurfaced the deck at a cost of 32 million euros.",
        "The chief engineer, Marta Oyelaran, said the bridge would carry 40,000 vehicles a day.",
    ),
)
FERRY = Story(
    "ferry",
    "New ferry timetable for the islands",
    dt.date(2025, 3, 5),
    (
        "The island ferry will run every 40 minutes under a new timetable published by the port authority on Wednesday.",
        "The new timetable starts on 1 April and adds a late crossing at 23:10.",
    ),
)
FERRY_EDITED = Story(
    "ferry",
    "Ferry timetable delayed to mid-April",
    dt.date(2025, 3, 5),
    (
        "The island ferry will run every 40 minutes under a new timetable published by the port authority on Wednesday.",
        "The new timetable starts on 15 April, later than planned, and adds a late crossing at 23:10.",
    ),
)
LIBRARY = Story(
    "library",
    "City library extends opening hours",
    dt.date(2025, 3, 6),
    (
        "The Kestrel city library will open until 22:00 on weekdays from May, the culture office announced.",
        "The longer hours cost 600,000 euros a year and will be paid from the tourism tax.",
    ),
)
MARKET = Story(
    "market",
    "Fish market moves to the old tram depot",
    dt.date(2025, 3, 7),
    (
        "Kestrel's fish market will move to the old tram depot in June, the harbour office confirmed on Friday.",
        "About 45 traders will get new stalls with running water and cold storage.",
    ),
)


def publish(site: NewsSite, *stories: Story) -> list[tuple[str, Story, str]]:
    items = []
    for story in stories:
        site.put(f"/news/{story.slug}.html", article_page(story, "The Daily Gull"))
        items.append((f"gull-{story.slug}", story, f"/news/{story.slug}.html"))
    return items


@pytest.fixture
def services(tmp_path) -> Services:
    services = Services(Settings(data_dir=tmp_path / "data"))
    yield services
    services.store.close()


def reader_for(services: Services) -> FeedReader:
    return FeedReader(services.ingestor, Fetcher(timeout=5, max_bytes=1_000_000, user_agent="rag-news-test"))


def test_a_page_keeps_its_article_and_drops_the_chrome(services):
    with NewsSite() as site:
        site.put_feed("/feed.xml", "Daily Gull", publish(site, BRIDGE))
        report = reader_for(services).ingest_url(site.url + "/feed.xml")
    assert report.added == [doc_id_for("gull-bridge")] and not report.failed
    doc = services.store.document(doc_id_for("gull-bridge"))
    assert doc.title == BRIDGE.headline and doc.date == BRIDGE.date and doc.source == "The Daily Gull"
    assert doc.path == site.url + "/news/bridge.html"
    for paragraph in BRIDGE.paragraphs:
        assert paragraph in doc.text
    [first] = services.store.chunks([int(i) for i in services.store.chunk_ids(Filters(doc_ids=(doc.doc_id,)))][:1]).values()
    assert doc.text.startswith(BRIDGE.headline + "\n") and first.text.startswith(BRIDGE.paragraphs[0]), "the headline is not read"
    for chrome in (FOOTER_FACT, COMMENT_FACT, "cookies", "Advertisement", "Related stories", "ferry strike", "Sport"):
        assert chrome not in doc.text, chrome


def test_the_feed_changes_between_polls(services):
    with NewsSite() as site:
        site.put_feed("/feed.xml", "Daily Gull", publish(site, BRIDGE, FERRY, LIBRARY))
        watcher = FeedWatcher(reader_for(services), [site.url + "/feed.xml"], every=60)
        first = watcher.poll(now=0)
        assert "3 added" in first
        # poll 2: one new item, one edited, one gone from the feed
        items = publish(site, BRIDGE, FERRY_EDITED, MARKET)
        edited = dt.datetime(2025, 3, 8, 9, tzinfo=dt.UTC)
        site.put_feed("/feed.xml", "Daily Gull", items, updated={"gull-ferry": edited})
        second = watcher.poll(now=60)
        third = watcher.poll(now=120)
        page_fetches = [p for p, status in site.requests if p.startswith("/news/")]
    assert "1 added, 1 replaced, 1 unchanged" in second, second
    assert "not modified" in third, third
    assert page_fetches.count("/news/bridge.html") == 1, "an unchanged item's page is not fetched again"
    docs = {d.doc_id: d for d in services.store.documents()}
    assert set(docs) == {doc_id_for(f"gull-{s}") for s in ("bridge", "ferry", "library", "market")}, "the dropped item is kept"
    ferry = services.store.document(doc_id_for("gull-ferry"))
    assert ferry.title == FERRY_EDITED.headline and "15 April" in ferry.text and "1 April" not in ferry.text


def test_a_failing_feed_backs_off_and_never_stops_the_others(services):
    with NewsSite() as site:
        site.put_feed("/feed.xml", "Daily Gull", publish(site, LIBRARY))
        broken = site.url + "/broken/feed.xml"
        watcher = FeedWatcher(reader_for(services), [broken, site.url + "/feed.xml"], every=60)
        line = watcher.poll(now=0)
        assert f"{broken}: error" in line and "retry in 120s" in line and "1 added" in line
        assert "no feed due" not in watcher.poll(now=60) and broken not in watcher.poll(now=61)
        assert "retry in 240s" in watcher.poll(now=120), "each failure doubles the wait"
    assert services.store.document(doc_id_for("gull-library")) is not None


def test_page_limits_and_errors_are_reported_not_fatal(services):
    with NewsSite() as site:
        items = publish(site, BRIDGE, LIBRARY)
        site.put("/news/bridge.html", article_page(BRIDGE, "The Daily Gull") + "<!--" + "x" * 2_000_000 + "-->")
        site.remove("/news/library.html")
        site.put_feed("/feed.xml", "Daily Gull", items)
        report = reader_for(services).ingest_url(site.url + "/feed.xml")
    reasons = dict(report.failed)
    assert "byte limit" in reasons[site.url + "/news/bridge.html"]
    assert "HTTP 404" in reasons[site.url + "/news/library.html"]
    assert services.store.counts() == (0, 0)


def test_interval_words():
    assert [parse_interval(t) for t in ("15m", "30s", "1h", "2")] == [900, 30, 3600, 2]
    with pytest.raises(ValueError, match="not an interval"):
        parse_interval("often")


def test_rag_ingest_and_watch_from_the_command_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "data"))
    with NewsSite() as site:
        items = publish(site, BRIDGE, FERRY)
        site.put_feed("/feed.xml", "Daily Gull", items[:1])
        feed_file = tmp_path / "gull.rss"
        feed_file.write_text(site._pages["/feed.xml"][0].decode())
        assert main(["ingest", "-q", "--collection", "gull", str(feed_file), site.url + "/news/ferry.html"]) == 0
        assert "2 added, 0 replaced, 0 unchanged" in capsys.readouterr().out
        site.put_feed("/feed.xml", "Daily Gull", items)
        assert main(["watch", site.url + "/feed.xml", "--every", "1s", "--max-polls", "2", "--collection", "gull"]) == 0
    lines = capsys.readouterr().out.splitlines()
    # the bridge item is unchanged because it is looked up in the same collection it went into
    assert lines[0].startswith("poll 1:") and "1 unchanged" in lines[0] and "1 added" in lines[0], lines
    assert lines[1].startswith("poll 2:") and "not modified" in lines[1], lines
    assert main(["docs"]) == 0
    assert [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()] == ["gull"] * 3
    assert main(["watch", "feed.xml"]) == 2, "a feed to watch must be a URL"


def test_rag_serve_watches_a_feed_and_answers_from_new_items(tmp_path, monkeypatch):
    data = tmp_path / "data"
    monkeypatch.setenv("RAG_DATA_DIR", str(data))
    with NewsSite() as site:
        site.put_feed("/feed.xml", "Daily Gull", publish(site, BRIDGE))
        assert main(["ingest", "-q", site.url + "/feed.xml"]) == 0
        watch = ("--watch", site.url + "/feed.xml", "--every", "1s", "--collection", "gull")
        with ServeProcess(data, tmp_path / "serve.log", *watch) as server:
            site.put_feed("/feed.xml", "Daily Gull", publish(site, BRIDGE, LIBRARY))
            deadline = time.monotonic() + 60
            new = ("gull", doc_id_for("gull-library"))
            while new not in {(d["collection"], d["doc_id"]) for d in httpx.get(server.url + "/v1/documents").json()}:
                assert time.monotonic() < deadline, server.log()
                time.sleep(0.5)
            reply = httpx.post(
                server.url + "/v1/ask", json={"question": "Until what time will the Kestrel library open on weekdays?"}, timeout=60
            )
    answer = reply.json()
    assert answer["answer"] and "22:00" in answer["answer"]
    assert answer["date"] == "2025-03-06" and answer["citations"][0]["doc_id"] == doc_id_for("gull-library")
    assert answer["citations"][0]["collection"] == "gull", "rag serve --watch --collection"


def test_atom_entries_and_what_is_not_a_feed():
    atom = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Heron Post</title>
    <entry><id>tag:heron.example,2025:42</id><title>Tide tables</title><link href="http://127.0.0.1:9/tides.html"/>
    <updated>2025-03-02T10:00:00Z</updated><source><title>Coast Wire</title></source></entry>
    <entry><title>No link, nothing to fetch</title><id>tag:heron.example,2025:43</id></entry></feed>"""
    [item] = parse_feed(atom, "heron.atom")
    assert (item.identity, item.link, item.date, item.source, item.channel) == (
        "tag:heron.example,2025:42",
        "http://127.0.0.1:9/tides.html",
        dt.date(2025, 3, 2),
        "Coast Wire",
        "Heron Post",
    )
    assert doc_id_for(item.identity) == doc_id_for("tag:heron.example,2025:42") != doc_id_for("tag:heron.example,2025:43")
    with pytest.raises(FetchError, match="not a feed"):
        parse_feed(b"<html><body><p>just a page</p></body></html>", "page.html")
