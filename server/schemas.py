"""Request bodies: strict (unknown fields are rejected) so a typo is an error, not ignored."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, field_validator

from index.store import Filters

MAX_QUESTION_CHARS = 2000


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS, examples=["Who is the French President?"])
    top_k: int | None = Field(None, ge=1, le=50, description="passages to read")
    since: dt.date | None = Field(None, description="only articles dated on or after this day")
    until: dt.date | None = Field(None, description="only articles dated on or before this day")
    sources: list[str] | None = Field(None, max_length=100)
    doc_ids: list[str] | None = Field(None, max_length=1000)

    @field_validator("question")
    @classmethod
    def not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the question is empty")
        return value

    def filters(self) -> Filters:
        return Filters(
            since=self.since,
            until=self.until,
            sources=tuple(self.sources) if self.sources else None,
            doc_ids=tuple(self.doc_ids) if self.doc_ids else None,
        )
