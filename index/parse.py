"""Files to Articles: text, title, date and source, from .txt/.md/.html/.json/.jsonl.

The article text is kept exactly as it will be stored, because every citation offset
the product returns points into it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from pathlib import Path

import trafilatura

from index.sentences import sentence_spans
from index.sidecar import SIDECAR_NAME
from index.types import Article

SUPPORTED_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl"}
TEXT_FIELDS = ("text", "body", "content", "article")
MAX_TITLE_CHARS = 120

log = logging.getLogger(__name__)

_HEADER = re.compile(r"^\s*(date|title|source)\s*[:=]?\s+(.+?)\s*$", re.IGNORECASE)
_INLINE_DATE = re.compile(r"^\s*date\s*[:=]?\s*(\d{4}-\d{2}-\d{2})\b", re.IGNORECASE)
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DOC_ID = re.compile(r"^[\w.\-]{1,200}$")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = (
    r"(?P<month>(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?)"
)
# a full date (day, month, year) as a dateline writes it: "September 9, 2025", "9 Sept. 2025", "2025-09-09"
_DATELINE = re.compile(
    rf"\b(?:{_MONTH}\s+(?P<day>\d{{1,2}}),?\s+(?P<year>(?:19|20)\d\d)"
    rf"|(?P<day2>\d{{1,2}})\s+{_MONTH.replace('month', 'month2')}\s+(?P<year2>(?:19|20)\d\d)"
    r"|(?P<iso>(?:19|20)\d\d-\d\d-\d\d))\b",
    re.IGNORECASE,
)
DATELINE_CHARS = 200
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# a weekday next to a day and month with no year, as wire datelines write it: "Tuesday, March 3",
# "Tuesday 3 March" (a year after them makes it a full date, read by _DATELINE instead)
_WEEKDAY_DATELINE = re.compile(
    rf"\b(?P<weekday>{'|'.join(_WEEKDAYS)}),?\s+"
    rf"(?:{_MONTH}\s+(?P<day>\d{{1,2}})|(?P<day2>\d{{1,2}})\s+{_MONTH.replace('month', 'month2')})\b"
    r"(?!,?\s*(?:19|20)\d\d)",
    re.IGNORECASE,
)
# a day, month and weekday recur every 5, 6 or 11 years: within 5 years at most one fits
WEEKDAY_YEARS = 5


class ParseError(ValueError):
    """A file that cannot become an article; the message names the file and the reason."""


def parse_date(value: object) -> dt.date | None:
    """Dates arrive as '2025-09-09', ISO timestamps or longer strings starting with one."""
    if value is None or value == "":
        return None
    match = _ISO_DATE.search(str(value))
    if not match:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _month_number(name: str) -> int:
    return _MONTHS.index(name[:3].lower()) + 1


def weekday_date(weekday: str, month: int, day: int, today: dt.date) -> dt.date | None:
    """The day `month`/`day` that falls on `weekday`, when exactly one of the last WEEKDAY_YEARS
    years (up to `today`: nothing is published in the future) has it; else None. A day and month
    fall on the same weekday again after 5, 6 or 11 years, so a five-year window never holds two,
    and an older article is left undated rather than put in the wrong year."""
    wanted = _WEEKDAYS.index(weekday.lower())
    fits = []
    for year in range(today.year - WEEKDAY_YEARS + 1, today.year + 1):
        try:
            day_of = dt.date(year, month, day)
        except ValueError:
            continue
        if day_of <= today and day_of.weekday() == wanted:
            fits.append(day_of)
    return fits[0] if len(fits) == 1 else None


def dateline_date(body: str, today: dt.date | None = None) -> dt.date | None:
    """The date a dateline states in the article's first DATELINE_CHARS characters
    ("KYIV, March 3, 2022 (Reuters) -"): a complete day-month-year, or a weekday next to a day
    and month ("KYIV, Tuesday, March 3 -"), which names the year when only one recent year fits
    (`weekday_date`, counted back from `today`, the day it is read in). A weekday alone or
    "last year" is not a date ("on Tuesday" says which day only next to a known date), and a
    date deeper in the text is what the story is about, not when it was written, so neither is
    ever used."""
    head = body[:DATELINE_CHARS]
    match = _DATELINE.search(head)
    if not match:
        weekday = _WEEKDAY_DATELINE.search(head)
        if weekday is None:
            return None
        month = _month_number(weekday["month"] or weekday["month2"])
        return weekday_date(weekday["weekday"], month, int(weekday["day"] or weekday["day2"]), today or dt.date.today())
    if match["iso"]:
        return parse_date(match["iso"])
    try:
        return dt.date(
            int(match["year"] or match["year2"]), _month_number(match["month"] or match["month2"]), int(match["day"] or match["day2"])
        )
    except ValueError:
        return None


def valid_doc_id(doc_id: str) -> str:
    if not _DOC_ID.match(doc_id):
        raise ParseError(f"invalid doc_id {doc_id!r}: use letters, digits, '.', '_' or '-' (at most 200)")
    return doc_id


def _first_sentence(text: str) -> str:
    spans = sentence_spans(text)
    sentence = text[spans[0][0] : spans[0][1]] if spans else ""
    if len(sentence) <= MAX_TITLE_CHARS:
        return sentence
    return sentence[:MAX_TITLE_CHARS].rsplit(" ", 1)[0] + "…"


def parse_plain(text: str, doc_id: str, path: str | None = None, markdown: bool = False) -> Article:
    """Plain text or markdown: optional header lines (`date 2025-09-09`, `title: …`, `source: …`),
    a markdown `# heading` as title, else the first sentence; without a date header, the
    dateline's date if the first lines state one."""
    if not text.strip():
        raise ParseError(f"{path or doc_id}: the article is empty")
    meta: dict[str, str] = {}
    body_start = 0
    for line in text[:2000].splitlines(keepends=True):
        match = _HEADER.match(line)
        if not match or match[1].lower() in meta:
            break
        key = match[1].lower()
        inline = _INLINE_DATE.match(line) if key == "date" else None
        if inline and line[inline.end() :].strip():
            # "date 2025-09-09 US Treasury Secretary…": the story starts on the date line
            meta["date"] = inline[1]
            body_start += inline.end()
            break
        meta[key] = match[2]
        body_start += len(line)
    body = text[body_start:]
    if not body.strip():
        raise ParseError(f"{path or doc_id}: the article has header lines but no text")
    title = meta.get("title")
    if not title and markdown:
        heading = re.search(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", body, re.MULTILINE)
        title = heading[1] if heading else None
    date = parse_date(meta.get("date")) or dateline_date(body)
    if date and "date" not in meta:
        log.info("%s: dated %s from its dateline", path or doc_id, date)
    return Article(
        doc_id=valid_doc_id(doc_id),
        title=(title or _first_sentence(body) or doc_id)[: MAX_TITLE_CHARS + 1],
        text=text,
        date=date,
        source=meta.get("source"),
        path=path,
        body_start=body_start,
    )


def parse_html(markup: str, doc_id: str, path: str | None = None) -> Article:
    """A news page's main content only (trafilatura): menus, ads, cookie banners, related-story
    lists and comments are left out, so an answer can only come from the article itself. The
    stored text is trafilatura's plain text, which every citation offset points into."""
    extracted = trafilatura.bare_extraction(
        markup,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        favor_precision=True,
        # only a date the page states (meta tags, <time>), never one guessed from its links
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    text = (extracted.text or "").strip() if extracted else ""
    if not text:
        raise ParseError(f"{path or doc_id}: no article text found on the page")
    title = " ".join((extracted.title or _first_sentence(text)).split())
    # the page's headline opens the text: kept, like a header line, but never read as a sentence
    # of the story (a span would run from the headline into the first paragraph)
    headline, _, rest = text.partition("\n")
    body_start = len(headline) + 1 if rest.strip() and " ".join(headline.split()) == title else 0
    return Article(
        doc_id=valid_doc_id(doc_id),
        title=title[: MAX_TITLE_CHARS + 1],
        text=text,
        date=parse_date(extracted.date),
        source=extracted.sitename or None,
        path=path,
        body_start=body_start,
        byline=extracted.author or None,
    )


def parse_record(record: object, default_id: str, path: str | None = None) -> Article:
    """One JSON object: a text field (text/body/content/article) and optional id/title/date/source."""
    where = f"{path or default_id}"
    if not isinstance(record, dict):
        raise ParseError(f"{where}: expected a JSON object with a text field, got {type(record).__name__}")
    text = next((record[f] for f in TEXT_FIELDS if isinstance(record.get(f), str)), None)
    if text is None:
        raise ParseError(f"{where}: no text field (one of {', '.join(TEXT_FIELDS)})")
    if not text.strip():
        raise ParseError(f"{where}: the article text is empty")
    doc_id = str(record.get("doc_id") or record.get("id") or default_id)
    title = record.get("title")
    date = next((parse_date(record[k]) for k in ("date", "published_at", "published") if record.get(k)), None)
    return Article(
        doc_id=valid_doc_id(doc_id),
        title=str(title)[: MAX_TITLE_CHARS + 1] if title else _first_sentence(text),
        text=text,
        date=date,
        source=str(record["source"]) if record.get("source") else None,
        path=path,
    )


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise ParseError(f"{path}: binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{path}: not UTF-8 text (byte {exc.start}); convert it to UTF-8 first") from None


def parse_file(path: Path) -> list[Article]:
    """Parse one file into its articles (a JSON list or a JSONL file holds several)."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ParseError(f"{path}: unsupported file type {suffix or '(none)'}; use {', '.join(sorted(SUPPORTED_SUFFIXES))}")
    text = _read_text(path)
    if not text.strip():
        raise ParseError(f"{path}: the file is empty")
    stem = path.stem
    if suffix in (".html", ".htm"):
        return [parse_html(text, stem, str(path))]
    if suffix == ".jsonl":
        articles = []
        for n, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ParseError(f"{path}:{n}: invalid JSON ({exc.msg})") from None
                articles.append(parse_record(record, f"{stem}-{n}", f"{path}:{n}"))
        return articles
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ParseError(f"{path}: invalid JSON ({exc.msg} at line {exc.lineno})") from None
        if isinstance(data, list):
            return [parse_record(r, f"{stem}-{i}", f"{path}[{i}]") for i, r in enumerate(data)]
        return [parse_record(data, stem, str(path))]
    return [parse_plain(text, stem, str(path), markdown=suffix in (".md", ".markdown"))]


def find_article_files(paths: list[Path]) -> list[Path]:
    """Expand folders into their supported files; a missing path is an error before anything is touched."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise FileNotFoundError(f"no such file or folder: {', '.join(missing)}")
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUPPORTED_SUFFIXES and f.name != SIDECAR_NAME)
        else:
            files.append(p)
    return files
