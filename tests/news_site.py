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
        when = updated.get(guid) or dt.datetime.combine(story.date, dt.time(8), dt.timezone.utc)
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

    def __init__(self) -> None:
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

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
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
