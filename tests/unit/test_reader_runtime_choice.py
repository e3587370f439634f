"""Which reader runtime runs, the setting that is refused, and the part of a passage the reader reads."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from rag import hardware
from rag.reader.focus import focus_span
from rag.settings import Settings


def _words(text: str) -> int:
    return len(text.split())


def test_torch_dynamic_int8_is_refused_not_ignored(monkeypatch) -> None:
    monkeypatch.setenv("RAG_READER_QUANTIZE", "true")
    with pytest.raises(ValidationError, match="RAG_READER_RUNTIME=openvino-int8"):
        Settings()


def test_int8_is_the_default_wherever_it_is_built(monkeypatch) -> None:
    for bf16 in (True, False):
        monkeypatch.setattr(hardware, "cpu_computes_bf16", lambda bf16=bf16: bf16)
        assert hardware.default_reader_runtime("cpu", int8_ready=True) == "openvino-int8"
    assert hardware.default_reader_runtime("cpu", int8_ready=False) == "torch-fp32"  # bf16 would be emulated
    monkeypatch.setattr(hardware, "cpu_computes_bf16", lambda: True)
    assert hardware.default_reader_runtime("cpu", int8_ready=False) == "torch-bf16"
    assert hardware.default_reader_runtime("cuda", int8_ready=True) == "torch-fp32"


PASSAGE = (
    "Paris is the capital of France. The city has many museums. "
    "The Eiffel Tower was completed in 1889 for the World's Fair. "
    "Gustave Eiffel's company designed and built the tower. "
    "Millions of people visit it every year. The food is good."
)


def test_a_passage_that_fits_is_read_whole() -> None:
    assert focus_span("When was the Eiffel Tower completed?", PASSAGE, 1000, _words) == (0, len(PASSAGE))


def test_a_long_passage_is_cut_around_the_best_matching_sentence() -> None:
    start, end = focus_span("When was the Eiffel Tower completed?", PASSAGE, 20, _words)
    kept = PASSAGE[start:end]
    assert "completed in 1889" in kept
    assert _words(kept) <= 20
    assert "The food is good." not in kept and kept.startswith(PASSAGE[start : start + 3])
    # whole sentences only, so offsets into the cut map straight back into the passage
    assert PASSAGE[start - 2 : start] == ". " and kept.endswith(".")


def test_the_window_grows_towards_the_neighbour_that_matches_more() -> None:
    start, end = focus_span("Which company built the Eiffel Tower, completed in 1889?", PASSAGE, 22, _words)
    assert "Gustave Eiffel's company" in PASSAGE[start:end] and "completed in 1889" in PASSAGE[start:end]
