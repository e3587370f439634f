"""`rag eval-reader` as a user runs it (the shipped reader on held-out dev questions: tests/integration/test_reader.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.reader.squad import load_squad, split_by_article
from rag.settings import REPO_ROOT

DATASETS = REPO_ROOT.parent / "shared" / "datasets"
DEV = DATASETS / "squad-v1.1-dev.json.zip"


def eval_reader(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "cli.main", "eval-reader", *args], env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def dev_questions():
    if not DEV.exists():
        pytest.skip(f"SQuAD dev not found at {DEV}")
    _, heldout = split_by_article(load_squad(DEV))
    return heldout[::200]  # 11 questions over the 10 articles no shipped reader trained on


def _squad_file(path: Path, rows: list[tuple[str, str, list[str]]]) -> Path:
    paragraphs = [
        {"context": c, "qas": [{"id": f"q{i}", "question": q, "answers": [{"text": a, "answer_start": max(c.find(a), 0)} for a in golds]}]}
        for i, (q, c, golds) in enumerate(rows)
    ]
    path.write_text(json.dumps({"data": [{"title": "t", "paragraphs": paragraphs}]}))
    return path


def test_eval_reader_scores_a_known_file_exactly(tmp_path, reader, dev_questions):
    """Golds set to what the reader predicts for half the questions and to a word that occurs in no
    span for the other half: EM and F1 must both be exactly 50, and unanswerable pairs count as right
    exactly when the calibrated reader declines them."""
    sample = dev_questions[:6]
    preds = reader.predict([(q.question, q.context) for q in sample])
    rows = [(q.question, q.context, [p.text] if i % 2 == 0 else ["zzqxv"]) for i, (q, p) in enumerate(zip(sample, preds))]
    known = _squad_file(tmp_path / "known.json", rows)
    out = eval_reader(str(known), "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert (result["n"], result["exact_match"], result["f1"]) == (6, 50.0, 50.0)

    foreign = dev_questions[6:8]
    unanswerable = [(q.question, sample[0].context, []) for q in foreign]
    cal = reader.calibration
    foreign_margins = [p.margin for p in reader.predict([(q, c) for q, c, _ in unanswerable])]
    declined = [cal.confidence(m) < cal.threshold for m in foreign_margins]
    mixed = _squad_file(tmp_path / "mixed.json", rows[:2] + unanswerable)
    result = json.loads(eval_reader(str(mixed), "--json").stdout)
    assert result["n_unanswerable"] == 2
    assert result["exact_match"] == pytest.approx(100 * (1 + 0 + sum(declined)) / 4, abs=0.01)
    assert result["unanswerable_declined"] == pytest.approx(100 * sum(declined) / 2, abs=0.01)
    # whatever the calibration: the threshold that declines no more than 10 % of two answerable pairs is their lowest margin
    lowest = min(p.margin for p in preds[:2])
    assert result["unanswerable_declined_at_10_answerable"] == pytest.approx(100 * sum(m < lowest for m in foreign_margins) / 2, abs=0.01)


def test_eval_reader_reads_every_layout_and_samples_reproducibly(tmp_path):
    import gzip

    gz = tmp_path / "sample.json.gz"
    with gzip.open(gz, "wt") as f:
        json.dump(json.loads(_squad_file(tmp_path / "x.json", [("Who?", "Ann met Bob.", ["Ann"])] * 3).read_text()), f)
    result = json.loads(eval_reader(str(gz), "--json", "--limit", "2", "--seed", "3").stdout)
    assert result["n"] == 2
    assert json.loads(eval_reader(str(DEV), "--json", "--first-articles", "1", "--limit", "3").stdout)["n"] == 3


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ('{"data": [{"title": "t", "paragraphs": [{"context": "c", "qas": [{"id": "1", "question": "q"}]}]}]}', "not SQuAD v1.1 layout"),
        ("not json at all", "cannot read it as SQuAD JSON"),
        (
            '{"data": [{"title": "t", "paragraphs": [{"context": "c", "qas": [{"id": "1", "question": "q", '
            '"answers": [{"text": "", "answer_start": 0}]}]}]}]}',
            "only empty gold answers",
        ),
    ],
)
def test_a_bad_file_is_a_clear_error(tmp_path, content, said):
    path = tmp_path / "bad.json"
    path.write_text(content)
    out = eval_reader(str(path))
    assert out.returncode == 2 and said in out.stderr, out.stderr
