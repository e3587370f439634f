"""A news website on 127.0.0.1 for the feed tests: RSS feeds and article pages dressed the way
real sites are (cookie banner, menus, ads, "related stories", a comments block, a footer), with
ETag / If-None-Match so conditional GETs can be checked. Tests change what it serves between
polls through `put`/`remove`."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import http.server
import threading
from dataclasses import dataclass
from email.utils import format_datetime

# what only the page chrome says: a question about it must get no answer
FOOTER_FACT = "Editor-in-chief: Paulo Brandt."
COMMENT_FACT = "Reader42 wrote: the lighthouse keeper is Dario Velt and he should resign."


@dataclass(frozen=True)
class Story:
    slug: str
    headline: str
    date: dt.date
    paragraphs: tuple[str, ...]


def article_page(story: Story, site: str, menu: tuple[str, ...] = ("Home", "World", "Business", "Sport")) -> str:
    """One article as a site would publish it: the story inside <article>, chrome around it."""
    nav = "".join(f'<li><a href="/{m.lower()}">{m}</a></li>' for m in menu)
    body = "".join(f"<p>{html.escape(p)}</p>" for p in story.paragraphs)
    return f"""<!doctype html><html><head><meta charset="utf-8">
<title>{html.escape(story.headline)} | {site}</title>
<meta property="og:title" content="{html.escape(story.headline)}">
<meta property="og:site_name" content="{site}">
<meta name="author" content="Staff reporter">
<meta property="article:published_time" content="{story.date.isoformat()}T08:00:00Z">
</head><body>
<div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience on {site}. Accept all cookies</div>
<header><nav class="menu"><ul>{nav}</ul></nav><form class="search"><input name="q"></form></header>
<div class="ad advert">Advertisement: the Zephyr 9 phone, now with a week of battery life. Buy now</div>
<main><article>
<h1>{html.escape(story.headline)}</h1>
<p class="byline">By Staff reporter</p>
{body}
</article>
<aside class="related"><h3>Related stories</h3><ul>
<li><a href="/r1">The ferry strike ended after the port's owners raised wages by 4 percent</a></li>
<li><a href="/r2">Storm warnings for the coast this weekend, forecasters say</a></li></ul></aside>
<section id="comments" class="comments"><h3>Comments</h3>
<div class="comment"><p>{COMMENT_FACT}</p></div>
<div class="comment"><p>Great reporting, as always.</p></div></section>
</main>
<footer class="site-footer"><p>© {story.date.year} {site}. {FOOTER_FACT} All rights reserved.</p>
<ul><li><a href="/about">About us</a></li><li><a href="/privacy">Privacy</a></li></ul></footer>
</body></html>"""


def rss(title: str, items: list[tuple[str, Story, str]], base: str, updated: dict[str, dt.datetime] | None = None) -> str:
    """An RSS 2.0 channel; items are (guid, story, path)."""
    updated = updated or {}
    entries = []
    for guid, story, path in items:
        when = updated.get(guid) or dt.datetime.combine(story.date, dt.time(8), dt.UTC)
        entries.append(
            f"<item><title>{html.escape(story.headline)}</title><link>{base}{path}</link>"
            f'<guid isPermaLink="false">{guid}</guid><pubDate>{format_datetime(when, usegmt=True)}</pubDate>'
            f"<description>{html.escape(story.paragraphs[0])}</description></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>{base}/</link><description>{title}</description>{''.join(entries)}</channel></rss>"
    )


class NewsSite:
    """`with NewsSite() as site:` serves `site.put(path, body)` at `site.url + path`."""

    def __init__(self, port: int = 0) -> None:
        self._pages: dict[str, tuple[bytes, str]] = {}
        self._lock = threading.Lock()
        self.requests: list[tuple[str, int]] = []  # (path, status), in order
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with site._lock:
                    page = site._pages.get(self.path)
                if page is None:
                    status = 500 if self.path.startswith("/broken") else 404
                    self.send_response(status)
                    self.end_headers()
                    site.requests.append((self.path, status))
                    return
                body, kind = page
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    site.requests.append((self.path, 304))
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)
                site.requests.append((self.path, 200))

            def log_message(self, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def put(self, path: str, body: str, kind: str = "text/html; charset=utf-8") -> None:
        with self._lock:
            self._pages[path] = (body.encode(), kind)

    def put_feed(self, path: str, title: str, items: list[tuple[str, Story, str]], **kw) -> None:
        self.put(path, rss(title, items, self.url, **kw), "application/rss+xml")

    def remove(self, path: str) -> None:
        with self._lock:
            self._pages.pop(path, None)

    def __enter__(self) -> NewsSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


# what `python -m tests.news_site` serves (README, "News feeds"): a mayor who changed, and one
# wire story run by two sites
DEMO = [
    (
        "gull",
        "The Daily Gull",
        Story(
            "mayor-2022",
            "Council elects harbour pilot as mayor",
            dt.date(2022, 5, 10),
            (
                "The Kestrel city council elected Tomas Kierny as mayor on Tuesday.",
                "The mayor of Kestrel is Tomas Kierny, a former harbour pilot, who won 31 of the 45 council votes.",
            ),
        ),
    ),
    (
        "gull",
        "The Daily Gull",
        Story(
            "mayor-2025",
            "Ilse Marrow sworn in as Kestrel mayor",
            dt.date(2025, 2, 3),
            (
                "The mayor of Kestrel is Ilse Marrow, who was sworn in on Monday after winning the city election.",
                "Marrow, a marine biologist, replaces Tomas Kierny, who did not stand again.",
            ),
        ),
    ),
]
_WIRE = (
    "Engineers in Kestrel finished replacing all 140 steel cables of the harbour bridge on Monday, eight months after "
    "cracks were found during a routine inspection.",
    "The work cost 32 million euros, four million more than planned, the city's transport office said.",
    "Chief engineer Marta Oyelaran said the bridge would reopen to cars on Thursday.",
)
DEMO += [
    ("gull", "The Daily Gull", Story("bridge", "Harbour bridge cables replaced", dt.date(2025, 3, 3), _WIRE)),
    ("heron", "Heron Post", Story("bridge", "Kestrel bridge to reopen Thursday", dt.date(2025, 3, 3), _WIRE)),
]


def serve_demo(site: NewsSite) -> None:
    """Each demo story as a page of its site, all of them in one feed at /feed.xml."""
    items = []
    for folder, name, story in DEMO:
        path = f"/{folder}/{story.slug}.html"
        site.put(path, article_page(story, name))
        items.append((f"{folder}-{story.slug}", story, path))
    site.put_feed("/feed.xml", "Kestrel news", items)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="a local news site for trying `rag ingest` and `rag watch`")
    parser.add_argument("--port", type=int, default=8765)
    port = parser.parse_args().port
    with NewsSite(port) as demo:
        serve_demo(demo)
        print(f"serving {demo.url}/feed.xml (Ctrl-C stops)", flush=True)
        threading.Event().wait()
