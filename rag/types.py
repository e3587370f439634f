"""What the pipeline returns; the HTTP layer serialises these as they are.

In Python each field says what it holds (`Citation.snippet`, `Suggestion.answer`,
`Passage.text`); on the wire a citation's snippet and a suggestion's answer keep the JSON name
`text` they have always had (clients and the page read it), through an alias used both ways.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Band(StrEnum):
    """How sure a reply is (rag/policy.py decides it), in the three words every interface shows."""

    ANSWER = "answer"
    POSSIBLE = "possible"
    NONE = "none"


class Passage(BaseModel):
    chunk_id: int
    doc_id: str
    collection: str = Field("default", description="the collection the article belongs to")
    title: str
    date: dt.date | None
    source: str | None
    start: int = Field(description="offset of the passage in the article text")
    end: int
    text: str = Field(description="the chunk of the article: article[start:end]")
    score: float = Field(description="fused retrieval score (reciprocal rank fusion)")
    story_id: str | None = Field(None, description="the story cluster: copies of one wire report share it")


class Outlet(BaseModel):
    """Another published copy of the same story (the same wire report on another site)."""

    doc_id: str
    source: str | None
    date: dt.date | None


class Citation(BaseModel):
    # `snippet` in Python, `text` on the wire; either name accepted when built
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)

    doc_id: str
    collection: str = Field("default", description="the collection the article belongs to")
    title: str
    date: dt.date | None
    source: str | None
    chunk_id: int
    start: int = Field(description="answer span start in the article text: article[start:end] == answer")
    end: int
    snippet: str = Field(alias="text", description="snippet of the article around the answer")
    snippet_start: int = Field(description="offset of the snippet in the article text")
    confidence: float
    also_published_by: list[Outlet] = Field(
        default_factory=list, description="the other stored copies of this story: one report, not independent confirmations"
    )


class EarlierAnswer(BaseModel):
    """What older evidence said, when it differs from the answer given."""

    answer: str
    date: dt.date | None
    citations: list[Citation]


class Suggestion(BaseModel):
    """Below the no-answer threshold, the reader's best span and where it stands: not an answer,
    a low-confidence hint, so that a user told "not found" still sees where to look."""

    # `snippet` in Python, `text` on the wire; either name accepted when built
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)

    answer: str = Field(alias="text", description="the best span, under the threshold: not an answer")
    confidence: float
    citation: Citation


class Item(BaseModel):
    """One answer of a list question ("Which countries…?"), with its own citation."""

    text: str
    citation: Citation


class Answer(BaseModel):
    question: str
    query: str = Field(description="the query actually searched (rewritten for follow-ups)")
    answer: str | None = Field(
        description="the answer span; for a list question its items joined by '; '; for a yes/no or why/how question "
        "the sentence that decides it or gives the reason"
    )
    confidence: float
    confidence_band: Literal["answer", "possible", "none"] = Field(
        "none",
        description="answer: likely right (calibrated confidence of one half or more); possible: above the no-answer "
        "threshold but more likely wrong, shown as 'Possible answer (low confidence)'; none: not found",
    )
    shape: Literal["fact", "list", "yes_no", "reason"] = Field(
        "fact", description="the question's shape, which decides what the answer holds (rag/shapes.py)"
    )
    items: list[Item] = Field(default_factory=list, description="for a list question: every item found, each cited")
    message: str
    citations: list[Citation]
    suggestion: Suggestion | None = Field(
        None, description="when `answer` is null: the best candidate span, under the threshold, and its passage"
    )
    date: dt.date | None = Field(None, description="date of the newest article the answer comes from; null: undated evidence")
    earlier: list[EarlierAnswer] = Field(
        default_factory=list,
        description="different answers from older articles, newest first (the answer is the newest evidence's)",
    )
    since: dt.date | None = Field(None, description="articles searched were dated on or after this (request or the question's time words)")
    until: dt.date | None = Field(None, description="articles searched were dated on or before this")
    passages: list[Passage]
    passages_read: int = Field(
        0,
        description="how many of `passages`, from the first, the reader read: the rest only when the first gave no confident answer",
    )
    timings_ms: dict[str, float]

    @model_validator(mode="after")
    def _band_of_a_built_answer(self) -> Answer:
        """An answer built without a band (a test, an old client's JSON) is "answer" when it
        has one and "none" when not; the pipeline always sets it from the policy."""
        if "confidence_band" not in self.model_fields_set:
            self.confidence_band = "none" if self.answer is None else "answer"
        return self


class ChatAnswer(Answer):
    """An answer given inside a conversation; pass `conversation_id` back to ask a follow-up."""

    conversation_id: str
