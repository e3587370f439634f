"""The benchmark's own arithmetic: a wrong recall or percentile would make every FAISS row lie."""

from __future__ import annotations

import numpy as np
import pytest

from bench.cascade import curve
from bench.corpus import generate_articles
from bench.faiss_scale import VectorSource
from bench.stats import percentiles, recall_at_k


def test_recall_at_k_counts_shared_neighbours_and_ignores_missing_results():
    truth = np.array([[1, 2, 3], [4, 5, 6]])
    found = np.array([[3, 2, 9], [-1, -1, 4]])
    assert recall_at_k(found, truth, k=3) == pytest.approx(3 / 6)
    assert recall_at_k(truth, truth, k=3) == 1.0
    assert recall_at_k(found, truth, k=1) == 0.0


def test_recall_at_k_refuses_mismatched_shapes():
    with pytest.raises(ValueError):
        recall_at_k(np.zeros((2, 10)), np.zeros((3, 10)), k=10)
    with pytest.raises(ValueError):
        recall_at_k(np.zeros((2, 5)), np.zeros((2, 10)), k=10)


def test_percentiles_match_numpy_and_handle_no_samples():
    values = list(range(1, 101))
    p = percentiles(values)
    assert (p["n"], p["p50"], p["p95"], p["p99"]) == (100, 50.5, 95.05, 99.01)
    assert percentiles([])["p50"] is None


def test_generated_vectors_are_deterministic_unit_length_and_have_near_neighbours():
    source = VectorSource()
    a, b = source.batch(3, 2000), source.batch(3, 2000)
    assert np.array_equal(a, b)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    sims = a @ a.T
    np.fill_diagonal(sims, -1)
    assert np.median(sims.max(axis=1)) > 0.5  # uniform random 384-d vectors: about 0.15
    uniform = VectorSource(uniform=True).batch(0, 500)
    u = uniform @ uniform.T
    np.fill_diagonal(u, -1)
    assert np.median(u.max(axis=1)) < 0.3


def test_generated_articles_are_reproducible_news_records():
    pool = [f"Sentence number {i} says something about the markets." for i in range(50)]
    first, again = generate_articles(20, pool, seed=1), generate_articles(20, pool, seed=1)
    assert first == again
    assert len({a["id"] for a in first}) == 20
    assert all(8 <= a["text"].count(".") <= 16 and a["date"] and a["source"] for a in first)


def test_cascade_takes_the_fast_reply_only_when_sure_and_pays_both_readers_otherwise():
    fast = [{"f1": 1.0, "confidence": 0.95, "ms": 10.0}, {"f1": 0.0, "confidence": 0.6, "ms": 10.0}]
    accurate = [{"f1": 0.0, "confidence": 0.9, "ms": 100.0}, {"f1": 1.0, "confidence": 0.9, "ms": 100.0}]
    rows = {row["threshold"]: row for row in curve(fast, accurate, thresholds=(0.5, 0.9, 0.99))}
    assert (rows[0.5]["fast_alone"], rows[0.5]["f1"], rows[0.5]["ms"]["mean"]) == (1.0, 50.0, 10.0)
    assert (rows[0.9]["fast_alone"], rows[0.9]["f1"], rows[0.9]["ms"]["mean"]) == (0.5, 100.0, 60.0)
    assert (rows[0.99]["fast_alone"], rows[0.99]["f1"], rows[0.99]["ms"]["mean"]) == (0.0, 50.0, 110.0)
    with pytest.raises(ValueError):
        curve(fast, accurate[:1])
