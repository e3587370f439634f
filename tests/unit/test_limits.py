"""The question and top_k limits: one rule (rag/limits.py), bounds from Settings, the same at
every way in (HTTP states them as a 422 naming the field)."""

from __future__ import annotations

import pytest
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from rag.limits import QuestionError, check_question, check_top_k
from rag.settings import Settings
from server.schemas import check_limits


def test_a_question_must_have_words_and_fit_the_limit():
    assert check_question("Who?", 4) == "Who?"
    with pytest.raises(QuestionError, match="empty"):
        check_question(" \n", 10)
    with pytest.raises(QuestionError, match="5 characters long; the limit is 4"):
        check_question("Who??", 4)


def test_top_k_is_unset_or_within_its_bound():
    assert check_top_k(None, 3) is None and check_top_k(3, 3) == 3
    for bad in (0, 4):
        with pytest.raises(QuestionError, match="between 1 and 3"):
            check_top_k(bad, 3)


def test_http_takes_its_bounds_from_settings_and_names_the_field():
    settings = Settings(max_question_chars=10, max_top_k=7, top_k=5)
    check_limits(settings, "message", "0123456789", 7)
    with pytest.raises(RequestValidationError) as raised:
        check_limits(settings, "message", "0123456789!", 8)
    assert [e["loc"] for e in raised.value.errors()] == [("body", "message"), ("body", "top_k")]


def test_the_default_top_k_may_not_exceed_the_bound():
    with pytest.raises(ValidationError, match="RAG_TOP_K"):
        Settings(top_k=8, max_top_k=7)
