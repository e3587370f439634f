"""Small measurement helpers shared by every part of the benchmark."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np


def percentiles(values_ms: Sequence[float]) -> dict[str, float | int | None]:
    """p50/p95/p99/mean of latencies in ms, rounded for the table; n says how much to trust p99."""
    if not values_ms:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "mean": None}
    a = np.asarray(values_ms, dtype=np.float64)
    p50, p95, p99 = np.percentile(a, [50, 95, 99])
    return {
        "n": int(a.size),
        "p50": round(float(p50), 2),
        "p95": round(float(p95), 2),
        "p99": round(float(p99), 2),
        "mean": round(float(a.mean()), 2),
    }


def recall_at_k(found: np.ndarray, truth: np.ndarray, k: int = 10) -> float:
    """Mean share of the true k nearest neighbours that an index returned among its first k.

    Both arrays are (queries, >=k) id matrices; -1 (no result) never counts as a hit.
    """
    if found.shape[0] != truth.shape[0]:
        raise ValueError("one row of results per query in both arrays")
    if found.shape[1] < k or truth.shape[1] < k:
        raise ValueError(f"need at least {k} results per query")
    hits = 0
    for got, want in zip(found[:, :k], truth[:, :k]):
        hits += len(set(got[got >= 0].tolist()) & set(want.tolist()))
    return hits / (k * found.shape[0])


def _status_kb(pid: int | str, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory now (Linux /proc; the benchmark machine is Linux)."""
    return round(_status_kb(pid, "VmRSS") / 1024, 1)


def peak_rss_mb(pid: int | str = "self") -> float:
    """The kernel's high-water mark of resident memory for the process since it started."""
    return round(_status_kb(pid, "VmHWM") / 1024, 1)
