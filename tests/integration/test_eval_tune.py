"""eval.tune scores a configuration exactly as the product answers it, on the real models."""

from __future__ import annotations

import json

from eval.metrics import summarize
from eval.run import evaluate, read_testset
from eval.tune import Tuner
from rag.settings import Settings
from tests.support import SEEDS_DIR

QUESTIONS = [
    {
        "id": "t1",
        "question": "Which TV programme did Scott Bessent speak on?",
        "answers": ["Meet the Press"],
        "doc_ids": ["002_39e0529d6a0ceab0"],
    },
    {"id": "t2", "question": "Who is the French President?", "answers": ["Emmanuel Macron"], "doc_ids": ["004_c45d8345549db2a3"]},
    {"id": "t3", "question": "What is the capital of Australia?", "answers": [], "doc_ids": []},
]
SCORES = ("exact_match", "f1", "no_answer_accuracy", "recall_at_1", "recall_at_5", "mrr")


def test_a_tuning_trial_scores_as_rag_eval_does(tmp_path, seed_services):
    testset = tmp_path / "tiny.jsonl"
    testset.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS))
    tuner = Tuner(testset, SEEDS_DIR, Settings(data_dir=tmp_path / "unused"))

    default, fewer = tuner.run("check", [{}, {"top_k": 1}])

    results, _ = evaluate(read_testset(testset), seed_services.pipeline.answer)
    product = summarize(results)
    assert {k: default.summary[k] for k in SCORES} == {k: product[k] for k in SCORES}
    assert fewer.knobs["top_k"] == 1 and default.knobs["top_k"] == seed_services.settings.top_k
    assert fewer.summary["recall_at_5"] <= default.summary["recall_at_5"]
