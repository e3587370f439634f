"""The limits a question must meet, whichever way it comes in (HTTP, OpenAI-compatible API,
CLI, terminal chat, Slack): one rule each, their bounds in Settings (`max_question_chars`,
`max_top_k`), so that changing a setting changes every way in at once."""

from __future__ import annotations

from index.errors import RagError


class QuestionError(RagError, ValueError):
    """A question or request option out of bounds; the message says which and why."""

    exit_code = 2  # bad input: nothing was touched


def check_question(question: str, max_chars: int) -> str:
    """The question as given, if it is not blank and at most `max_chars` long."""
    if not question.strip():
        raise QuestionError("the question is empty")
    if len(question) > max_chars:
        raise QuestionError(f"the question is {len(question)} characters long; the limit is {max_chars}")
    return question


def check_top_k(top_k: int | None, max_top_k: int) -> int | None:
    """Passages to read: None (the configured default) or 1 to `max_top_k`."""
    if top_k is not None and not 1 <= top_k <= max_top_k:
        raise QuestionError(f"top_k must be between 1 and {max_top_k}, not {top_k}")
    return top_k
