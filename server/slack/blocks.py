"""An Answer rendered as a Slack message: Block Kit blocks plus the plain-text fallback.

Pure functions, no Slack client: what the bot says is decided here and tested without a
workspace. Everything that comes from an article or a user goes through `escape`, because
Slack's mrkdwn treats `&`, `<` and `>` as control characters (`<@U123>` pings a user,
`<!channel>` pings everyone): an article quoting "<!channel>" must not notify a channel.
"""

from __future__ import annotations

import re
from typing import Any

from rag.answer_text import band_label, date_label, outlet_label, searched_for
from rag.types import Answer, Citation

Block = dict[str, Any]

MAX_CITATIONS = 5
# Slack rejects a section whose text is over 3,000 characters; snippets are ~300, titles short.
MAX_SECTION_CHARS = 2900


def escape(text: str) -> str:
    """Slack's own escaping rule for mrkdwn: only these three characters, `&` first."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _one_line(text: str) -> str:
    """Bold and quotes end at a line break in mrkdwn, so what we mark up must be one line."""
    return " ".join(text.split())


def _clip(text: str, limit: int = MAX_SECTION_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mrkdwn(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text)}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(text)}]}


def marked_snippet(citation: Citation) -> str:
    """The snippet with the answer span in bold; offsets are into the article, the snippet starts at snippet_start."""
    text = citation.snippet
    lo = citation.start - citation.snippet_start
    hi = citation.end - citation.snippet_start
    if not 0 <= lo < hi <= len(text):  # the span is not inside this snippet: quote it unmarked
        return escape(text)
    raw = text[lo:hi]
    span = raw.strip()
    if not span:
        return escape(text)
    # bold must hug the words (`*word*`), so surrounding whitespace stays outside the asterisks
    lead = raw[: len(raw) - len(raw.lstrip())]
    trail = raw[len(raw.rstrip()) :]
    return f"{escape(text[:lo])}{lead}*{escape(_one_line(span))}*{trail}{escape(text[hi:])}"


def citation_heading(n: int, citation: Citation) -> str:
    parts = [date_label(citation.date)]
    if citation.source:
        parts.append(escape(citation.source))
    if citation.also_published_by:
        parts.append("also published by " + ", ".join(escape(outlet_label(o)) for o in citation.also_published_by))
    return f"*[{n}] {escape(citation.title)}* — {', '.join(parts)}"


def _citation_block(n: int, citation: Citation) -> Block:
    quote = _one_line(marked_snippet(citation))
    return _mrkdwn(f"{citation_heading(n, citation)}\n> {quote}")


def render_blocks(answer: Answer) -> list[Block]:
    """The band's label (as the page and the CLI word it), the answer in bold (a list's items one
    per line), confidence, then numbered citations; "not found" said plainly."""
    label = band_label(answer.confidence_band)
    if answer.answer is None:
        blocks = [_mrkdwn(f"*{label}*\n{escape(answer.message)}")]
        if answer.suggestion:
            s = answer.suggestion
            blocks.append(
                _context(f":grey_question: Low-confidence hint, not an answer: {escape(_one_line(s.answer))} ({s.confidence:.0%})")
            )
            blocks.append(_citation_block(1, s.citation))
    else:
        said = (
            "\n".join(f"• *{escape(_one_line(i.text))}* [{n}]" for n, i in enumerate(answer.items, start=1))
            if answer.items
            else f"*{escape(_one_line(answer.answer))}*"
        )
        blocks = [
            _mrkdwn(f"{label}:\n{said}"),
            _context(f"Confidence {answer.confidence:.0%} · {escape(answer.message)}"),
        ]
        citations = answer.citations[:MAX_CITATIONS]
        if citations:
            blocks.append({"type": "divider"})
            blocks.extend(_citation_block(n, c) for n, c in enumerate(citations, start=1))
    if query := searched_for(answer):  # a follow-up, rewritten: show what was searched
        blocks.append(_context(f"Searched for: {escape(query)}"))
    return blocks


def render_text(answer: Answer) -> str:
    """The fallback shown in notifications and by clients that cannot draw blocks."""
    label = band_label(answer.confidence_band)
    if answer.answer is None:
        return f"{label}: {escape(answer.message)}"
    sources = "; ".join(f"[{n}] {escape(c.title)} ({date_label(c.date)})" for n, c in enumerate(answer.citations[:MAX_CITATIONS], start=1))
    text = f"{label}: {escape(answer.answer)} (confidence {answer.confidence:.0%})"
    return f"{text}. Sources: {sources}" if sources else text


def render_question(user_id: str | None, question: str) -> Block:
    """Who asked what, above an answer posted to the whole channel (a slash command itself is not shown)."""
    who = f"<@{user_id}>" if user_id and re.fullmatch(r"[A-Z0-9]+", user_id) else "Someone"
    return _context(f"{who} asked: {escape(question)}")


def render_notice(text: str) -> tuple[str, list[Block]]:
    """A one-line message from the bot itself (usage hints, errors), in the same shape as an answer."""
    return escape(text), [_mrkdwn(escape(text))]
