"""The load test as a pytest (slow: excluded from `make test`; `pytest -m slow` runs it):
50 concurrent clients against a real server, zero errors, bounded memory growth."""

from __future__ import annotations

import json

import pytest


@pytest.mark.slow
def test_fifty_clients_without_an_error_or_a_leak(tmp_path):
    from bench.loadtest import main  # here, not at import: collecting `make test` must not need bench/

    assert main(["--clients", "50", "--seconds", "20", "--warmup", "5", "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "loadtest.json").read_text())
    assert report["errors"] == 0 and report["requests"] > 50
