"""docs/configuration.md is generated from Settings: a new setting must reach the page."""

from __future__ import annotations

from rag.settings import Settings
from rag.settings_doc import PAGE, render


def test_the_page_is_current():
    assert PAGE.read_text(encoding="utf-8") == render(), "run `python -m rag.settings_doc` to regenerate docs/configuration.md"


def test_every_setting_is_on_the_page_with_a_description():
    page = PAGE.read_text(encoding="utf-8")
    for name, field in Settings.model_fields.items():
        assert f"`RAG_{name.upper()}`" in page
        assert field.description, f"RAG_{name.upper()} has no description to show"
