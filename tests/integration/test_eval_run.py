"""`rag eval` end to end: the real pipeline over the seed corpus, real models, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from eval.run import chat_turn, evaluate
from eval.testset import load_testset

REPO = Path(__file__).resolve().parents[2]
RATE_KEYS = ("exact_match", "f1", "answerable_f1", "no_answer_accuracy", "recall_at_1", "recall_at_5", "mrr")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_rag_eval_json_over_a_temporary_corpus(tmp_path):
    data_dir = tmp_path / "default-data"  # the index `rag eval --corpus` must not touch
    out = tmp_path / "report"
    env = os.environ | {"HF_HUB_OFFLINE": "1", "RAG_DATA_DIR": str(data_dir)}
    proc = subprocess.run(
        [sys.executable, "-m", "cli.main", "eval", "eval/seeds_qa.jsonl", "--corpus", "seeds", "--json", "--out", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout)  # the whole of stdout is one JSON object

    n_lines = sum(1 for line in (REPO / "eval" / "seeds_qa.jsonl").read_text().splitlines() if line.strip())
    assert summary["n"] == n_lines and summary["malformed_lines"] == 0
    for key in RATE_KEYS:
        assert 0.0 <= summary[key] <= 1.0, key
    assert summary["f1"] >= summary["exact_match"]  # EM = 1 implies F1 = 1, per question
    assert summary["recall_at_1"] <= summary["recall_at_5"]
    assert 0 < summary["latency_ms_p50"] <= summary["latency_ms_p95"]
    # every answered row says its band, and the bands' replies are all the answered ones
    answered = sum(1 for row in _report_rows(out) if row["predicted"] is not None)
    assert summary["answer_band_n"] + summary["possible_band_n"] == answered > 0
    for band in ("answer", "possible"):
        assert summary[f"{band}_band_n"] == 0 or 0.0 <= summary[f"{band}_band_exact_match"] <= 1.0
    assert not data_dir.exists()

    report = json.loads((out / "report.json").read_text())
    assert len(report["results"]) == n_lines and report["summary"] == summary
    markdown = (out / "report.md").read_text()
    assert all(f"| {row['id']} |" in markdown for row in report["results"])
    for name in ("per_question.png", "latency.png"):
        assert (out / name).read_bytes()[:8] == PNG_MAGIC


def _report_rows(out: Path) -> list[dict]:
    return json.loads((out / "report.json").read_text())["results"]


def test_evaluate_scores_the_valid_lines_and_reports_the_rest(tmp_path, seed_services):
    lines = [
        {"id": "q1", "question": "Who is the Kremlin spokesperson?", "answers": ["Dmitry Peskov"], "doc_ids": ["003_dc648fb631336634"]},
        "{broken",
        {"id": "q2", "question": "Who won the 1998 football World Cup?", "answers": [], "doc_ids": []},
        {
            "id": "c1",
            "turns": [
                {"question": "Who is the NATO Secretary General?", "answers": ["Jens Stoltenberg"]},
                {"question": "What did he confirm in a statement?", "answers": ["that it is important to make Moscow pay even more"]},
            ],
        },
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    testset = load_testset(path)
    assert [e.split(":")[0] for e in testset.errors] == ["line 2"]

    chat = chat_turn(seed_services)
    results, problems = evaluate(testset, seed_services.pipeline.answer, top_k=3, chat=chat)
    by_id = {r.id: r for r in results}
    assert by_id["q1"].gold_rank is not None and 1 <= by_id["q1"].gold_rank <= 3
    assert len(by_id["q1"].retrieved_doc_ids) == 3
    assert by_id["q2"].exact_match == (1.0 if by_id["q2"].predicted is None else 0.0)
    assert by_id["q1"].band in ("answer", "possible") and by_id["q2"].band in ("answer", "possible", "none")
    if chat is None:
        assert problems and "conversation 'c1' skipped" in problems[0]
    else:
        assert not problems
        assert [(r.conversation_id, r.turn) for r in results if r.conversation_id] == [("c1", 1), ("c1", 2)]

    only_q1 = load_testset(path)
    only_q1.items = only_q1.items[:1]
    (restricted,), _ = evaluate(only_q1, seed_services.pipeline.answer, top_k=3, gold_docs=True)
    assert restricted.retrieved_doc_ids and set(restricted.retrieved_doc_ids) == {"003_dc648fb631336634"}
    assert restricted.gold_rank == 1
