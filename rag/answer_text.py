"""The words every surface uses for an answer's parts (terminal, Slack, OpenAI-compatible reply;
the page says the same in server/static/app.js): each surface lays them out its own way, but a
date, an outlet and a rewritten follow-up read alike everywhere."""

from __future__ import annotations

import datetime as dt

from rag.types import Answer, Band, Outlet

UNDATED = "undated"
BAND_LABELS: dict[Band, str] = {
    Band.ANSWER: "Answer",
    Band.POSSIBLE: "Possible answer (low confidence)",
    Band.NONE: "Not found",
}


def band_label(band: Band | str) -> str:
    """How sure the reply is, in the words every surface shows first ("Possible answer (low
    confidence)" for 0.21, "Answer" for 0.93: the two must not look alike)."""
    return BAND_LABELS[Band(band)]


def date_label(date: dt.date | None) -> str:
    """`2025-09-09`, or `undated` for an article that states no date."""
    return date.isoformat() if date else UNDATED


def outlet_label(outlet: Outlet) -> str:
    """Who else published the story: its source, else its doc_id."""
    return outlet.source or outlet.doc_id


def searched_for(answer: Answer) -> str | None:
    """The standalone query, when a follow-up was rewritten into it (else None: nothing to say)."""
    return answer.query if answer.query != answer.question else None
