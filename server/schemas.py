"""Request bodies: strict (unknown fields are rejected) so a typo is an error, not ignored."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from index.store import Filters
from rag.limits import QuestionError, check_question, check_top_k
from rag.settings import Settings


class RetrievalOptions(BaseModel):
    """How many passages to read and which articles may answer: shared by /v1/ask and /v1/chat."""

    model_config = ConfigDict(extra="forbid")

    top_k: int | None = Field(None, ge=1, description="passages to read (at most RAG_MAX_TOP_K, 50 unless set)")
    since: dt.date | None = Field(None, description="only articles dated on or after this day")
    until: dt.date | None = Field(None, description="only articles dated on or before this day")
    sources: list[str] | None = Field(None, max_length=100)
    doc_ids: list[str] | None = Field(None, max_length=1000)
    collections: list[str] | None = Field(
        None, max_length=100, description="only these of the collections your key may read (default: all of them)"
    )

    def filters(self) -> Filters:
        return Filters.of(self.since, self.until, self.sources, self.doc_ids, self.collections)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("empty: only white space")
    return value


NonBlankText = Annotated[str, AfterValidator(_not_blank)]


class AskRequest(RetrievalOptions):
    question: NonBlankText = Field(
        min_length=1, description="at most RAG_MAX_QUESTION_CHARS (2,000 unless set)", examples=["Who is the French President?"]
    )
    as_of: dt.date | None = Field(
        None, description="the day relative time in the question ('this week', 'last month', 'latest') counts from; default today"
    )


def describe_validation_error(exc: RequestValidationError) -> str:
    """One line naming every field that is wrong and why, for the `error` of a 422."""
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        problems.append(f"{where}: {err.get('msg')}")
    return "invalid request: " + "; ".join(problems)


def check_limits(settings: Settings, field: str, question: str, top_k: int | None = None) -> None:
    """The question-length and top_k bounds of Settings (rag/limits.py, the rule the CLI and
    Slack apply too), as a 422 naming the field: the schema cannot state them, they are settings."""
    errors = []
    for name, check in (
        (field, lambda: check_question(question, settings.max_question_chars)),
        ("top_k", lambda: check_top_k(top_k, settings.max_top_k)),
    ):
        try:
            check()
        except QuestionError as exc:
            errors.append({"loc": ("body", name), "msg": str(exc), "type": "value_error"})
    if errors:
        raise RequestValidationError(errors)
