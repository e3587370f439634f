"""The MultiHop-RAG news set is built by rule: every pair checkable against the source data."""

from __future__ import annotations

import json

import pytest

from eval.external import DATASETS
from eval.news_set import build_pairs, write_sets
from rag.reader.squad import load_squad


@pytest.fixture(scope="module")
def halves():
    if not (DATASETS / "multihoprag-queries.json.gz").exists():
        pytest.skip("MultiHop-RAG not found in ../shared/datasets")
    return build_pairs()


def test_each_answerable_pair_holds_its_answer_and_each_unanswerable_one_does_not(halves):
    for pairs in halves.values():
        answerable = [p for p in pairs if p["answer"] is not None]
        unanswerable = [p for p in pairs if p["answer"] is None]
        assert len(answerable) == len(unanswerable) > 300
        assert all(p["answer"] in p["context"] for p in answerable)
        answer_of = {p["query"]: p["answer"] for p in answerable}
        assert all(answer_of[p["query"]] not in p["context"] for p in unanswerable)
        assert all(a not in ("Yes", "No") for a in answer_of.values())


def test_the_halves_share_no_query(halves):
    queries = {split: {p["query"] for p in pairs} for split, pairs in halves.items()}
    assert queries["calibration"].isdisjoint(queries["eval"])


def test_written_files_are_squad_layout_and_rebuild_identically(tmp_path, halves):
    paths = write_sets(tmp_path / "a")
    again = write_sets(tmp_path / "b")
    for split, path in paths.items():
        assert path.read_bytes() == again[split].read_bytes()
        questions = load_squad(path)
        assert len(questions) == len(halves[split])
        for q in questions:
            assert not q.answers or q.context[q.answer_start : q.answer_start + len(q.answers[0])] == q.answers[0]
    assert json.loads(paths["eval"].read_text())["version"].startswith("multihoprag-news")
