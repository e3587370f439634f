"""`rag calibrate-reader` as a user runs it: the fit is rewritten beside a copy of the shipped reader,
from the training-side sources asked for, and a missing source loses nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rag.reader.model import CALIBRATION_FILE
from rag.settings import REPO_ROOT, Settings

DATASETS = REPO_ROOT.parent / "shared" / "datasets"
SQUAD2 = DATASETS / "squad-v2.0-dev-rebuilt.json.gz"


def calibrate(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "calibrate-reader", *args], env=env, capture_output=True, text=True, timeout=900
    )


@pytest.fixture
def reader_copy(tmp_path) -> Path:
    copy = tmp_path / "reader"
    shutil.copytree(Settings().reader_model, copy, ignore=shutil.ignore_patterns(".openvino-int8"))
    return copy


def test_calibrate_reader_fits_on_squad_train_and_squad2_calibration_half(reader_copy):
    if not SQUAD2.exists() or not (DATASETS / "squad-v1.1-train-rebuilt.json.gz").exists():
        pytest.skip(f"datasets not found in {DATASETS}")
    before = json.loads((reader_copy / CALIBRATION_FILE).read_text())
    out = calibrate("--model", str(reader_copy), "--questions", "6", "--squad2", str(SQUAD2))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    # 6 SQuAD train questions, each also against another article's paragraph, and 6 of SQuAD 2.0's calibration half
    assert result["pairs"] == 18
    written = json.loads((reader_copy / CALIBRATION_FILE).read_text())
    assert written == {k: result[k] for k in ("slope", "intercept", "threshold")}
    assert written != before
    assert 0.0 < written["threshold"] < 1.0
    assert written["slope"] > 0  # a larger span-vs-null margin means a likelier answer


def test_calibrate_reader_with_a_missing_source_says_so_and_keeps_the_fit(reader_copy, tmp_path):
    before = (reader_copy / CALIBRATION_FILE).read_text()
    out = calibrate("--model", str(reader_copy), "--questions", "6", "--squad2", str(tmp_path / "nope.json.gz"))
    assert out.returncode == 2
    assert "file not found" in out.stderr and "nope.json.gz" in out.stderr
    assert (reader_copy / CALIBRATION_FILE).read_text() == before
