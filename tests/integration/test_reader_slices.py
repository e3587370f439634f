"""Sliced reader training (`rag train-reader --resume`): a run cut into slices learns what the same run
in one piece learns, and its report counts on. A tiny random MPNet with the shipped reader's tokenizer
stands in for the real encoder, so the whole path (data order, negatives, checkpoints, held-out
scoring) runs in seconds on real SQuAD train articles."""

from __future__ import annotations

import gzip
import json
import threading

import pytest
import torch
from transformers import AutoTokenizer, MPNetConfig, MPNetForQuestionAnswering

from rag.reader.distill import Teacher
from rag.reader.train import CHECKPOINT_FILE, REPORT_FILE, Recipe, SliceConfig, build_windows, collate, finalize_run, run_model, train_slice
from rag.reader.training_set import HELDOUT_TITLES, NegativeMix, load_training_set, pairs_for
from rag.settings import REPO_ROOT

DATASETS = REPO_ROOT.parent / "shared" / "datasets"
SQUAD_TRAIN = DATASETS / "squad-v1.1-train-rebuilt.json.gz"
FLAGS = DATASETS / "squad-v1.1-train-rebuilt.flags.json"
TITLES = (HELDOUT_TITLES[1], "ASCII", "Alaska")  # one held-out article and two to train on


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny random span model beside three real SQuAD train articles."""
    if not SQUAD_TRAIN.exists():
        pytest.skip(f"SQuAD train not found at {SQUAD_TRAIN}")
    root = tmp_path_factory.mktemp("tiny-reader")
    config = MPNetConfig(vocab_size=30527, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, pad_token_id=1)
    torch.manual_seed(0)
    MPNetForQuestionAnswering(config).save_pretrained(root / "model")
    AutoTokenizer.from_pretrained(REPO_ROOT / "models" / "reader-accurate").save_pretrained(root / "model")
    with gzip.open(SQUAD_TRAIN, "rt", encoding="utf-8") as f:
        articles = [a for a in json.load(f)["data"] if a["title"] in TITLES]
    (root / "squad.json").write_text(json.dumps({"data": articles}))
    return root


def _recipe(tiny, **changes) -> Recipe:
    return Recipe(
        base_model=str(tiny / "model"),
        squad_path=tiny / "squad.json",
        tydi_path=None,
        flags_path=FLAGS,
        batch_size=8,
        chunk_questions=10,
        **changes,
    )


def _slice(tiny, run_dir, questions: int, **changes) -> dict:
    return train_slice(SliceConfig(run_dir=run_dir, recipe=_recipe(tiny, **changes), questions=questions, heldout_questions=12))


def test_resume_continues_where_it_stopped_and_counts_on(tiny, tmp_path, caplog):
    first = _slice(tiny, tmp_path / "sliced", 20)
    assert (first["cursor"], first["questions_seen"]) == (20, 20)
    assert [s["slice"] for s in first["slices"]] == [0, 1]  # slice 0: the start model's held-out score
    # a later slice takes the run's recipe from its checkpoint, whatever it is given
    with caplog.at_level("WARNING", logger="rag.reader.train"):
        second = _slice(tiny, tmp_path / "sliced", 20, seed=99, lr=1.0)
    assert "not applied from this command line: seed, lr" in caplog.text  # and the user is told so
    assert (second["cursor"], second["questions_seen"]) == (40, 40)
    assert second["windows_seen"] == sum(s["windows"] for s in second["slices"]) > 40
    assert second["steps"] == sum(s["steps"] for s in second["slices"])
    assert second["recipe"]["seed"] == 13
    assert json.loads((tmp_path / "sliced" / REPORT_FILE).read_text()) == second

    whole = _slice(tiny, tmp_path / "whole", 40)
    assert whole["windows_seen"] == second["windows_seen"]
    sliced, unsliced = run_model(tmp_path / "sliced").state_dict(), run_model(tmp_path / "whole").state_dict()
    for name, value in unsliced.items():  # optimizer, schedule and RNG came back exactly
        torch.testing.assert_close(sliced[name], value, msg=name)
    start = MPNetForQuestionAnswering.from_pretrained(tiny / "model").state_dict()
    assert not torch.equal(start["qa_outputs.weight"], unsliced["qa_outputs.weight"])


class _StopAfterFirstStep(threading.Event):
    """A stop request that arrives while the first step runs: the slice checks for one before each chunk
    and after each step, so the second check sees it (as a SIGTERM mid-chunk would be seen)."""

    def __init__(self) -> None:
        super().__init__()
        self.checks = 0

    def is_set(self) -> bool:
        self.checks += 1
        return self.checks >= 2


def test_a_slice_stopped_inside_a_chunk_resumes_at_the_next_batch(tiny, tmp_path):
    stopped = train_slice(
        SliceConfig(run_dir=tmp_path / "sliced", recipe=_recipe(tiny), questions=40, heldout_questions=12, stop=_StopAfterFirstStep())
    )
    row = stopped["slices"][-1]
    assert row["stopped"] and row["heldout"] is None  # no held-out scoring on the way out
    assert (row["steps"], row["questions"], stopped["cursor"]) == (1, 0, 0) and 0 < row["windows"] <= 8
    assert torch.load(tmp_path / "sliced" / CHECKPOINT_FILE)["progress"]["batches_into_chunk"] == 1

    resumed = _slice(tiny, tmp_path / "sliced", 40)
    assert (resumed["cursor"], resumed["questions_seen"]) == (40, 40) and not resumed["slices"][-1]["stopped"]
    whole = _slice(tiny, tmp_path / "whole", 40)
    assert resumed["windows_seen"] == whole["windows_seen"] and resumed["steps"] == whole["steps"]
    sliced, unsliced = run_model(tmp_path / "sliced").state_dict(), run_model(tmp_path / "whole").state_dict()
    for name, value in unsliced.items():  # the stopped chunk's first batch was neither lost nor trained twice
        torch.testing.assert_close(sliced[name], value, msg=name)


def _soft_gap(student: torch.nn.Module, teacher: torch.nn.Module, tiny) -> float:
    """How far the student's start/end distributions are from the teacher's on 20 training windows (soft part only)."""
    data = load_training_set(tiny / "squad.json", None, FLAGS, seed=13)
    tokenizer = AutoTokenizer.from_pretrained(tiny / "model")
    pairs = [pairs_for(data, i, NegativeMix(), 13)[0] for i in range(20)]
    batch = collate(build_windows(tokenizer, pairs, 256, 96)[:20], tokenizer.pad_token_id, "cpu")
    student.eval()
    with torch.no_grad():
        return Teacher(teacher, weight=1.0).loss(student(**batch), batch).item()


def test_a_student_is_cut_from_the_base_and_learns_the_teachers_distributions(tiny, tmp_path):
    # a teacher with peaked distributions of its own (the random base's are flat): its span head scaled up
    teacher = MPNetForQuestionAnswering.from_pretrained(tiny / "model")
    with torch.no_grad():
        teacher.qa_outputs.weight.mul_(300.0)
    teacher_dir = tmp_path / "teacher"
    teacher.save_pretrained(teacher_dir)
    recipe = {"student_layers": 1, "teacher": str(teacher_dir), "distill_weight": 1.0, "lr": 1e-2, "warmup_steps": 0}
    report = _slice(tiny, tmp_path / "student", 40, **recipe)
    assert report["recipe"]["student_layers"] == 1 and report["cursor"] == 40
    student = run_model(tmp_path / "student")
    assert student.config.num_hidden_layers == 1 and len(student.mpnet.encoder.layer) == 1
    del student
    assert _slice(tiny, tmp_path / "untrained", 0, **recipe)["steps"] == 0  # slice 0 only: the cut, untrained
    _slice(tiny, tmp_path / "gold-only", 40, **(recipe | {"distill_weight": 0.0}))  # the same student, no soft targets
    gaps = {name: _soft_gap(run_model(tmp_path / name), teacher, tiny) for name in ("student", "gold-only", "untrained")}
    assert gaps["student"] < 0.8 * min(gaps["gold-only"], gaps["untrained"]), gaps


def test_a_run_stops_at_the_end_of_its_one_pass(tiny, tmp_path):
    report = _slice(tiny, tmp_path / "run", 10_000)
    assert report["cursor"] == report["questions_seen"] == report["questions_total"]
    again = _slice(tiny, tmp_path / "run", 10)
    assert again["questions_seen"] == report["questions_seen"] and again["slices"][-1]["questions"] == 0
    assert (tmp_path / "run" / CHECKPOINT_FILE).exists()
    assert not list((tmp_path / "run").glob("*.tmp"))

    shipped = finalize_run(tmp_path / "run", tmp_path / "reader")  # packed, calibrated, scored on every held-out question
    heldout = load_training_set(tiny / "squad.json", None, FLAGS, seed=13).heldout
    assert shipped["heldout"]["n"] == len(heldout) > report["slices"][-1]["heldout"]["n"]
    assert list((tmp_path / "reader").glob("model.int8-*.safetensors")) and (tmp_path / "reader" / "calibration.json").exists()


def test_order_and_negatives_depend_only_on_seed_and_position(tiny):
    data = load_training_set(tiny / "squad.json", None, FLAGS, seed=13)
    flagged = {i for ids in json.loads(FLAGS.read_text()).values() for i in ids}
    assert {q.title for q in data.order} == set(TITLES[1:]) and {q.title for q in data.heldout} == {TITLES[0]}
    assert not flagged & {q.id for q in data.order}
    again = load_training_set(tiny / "squad.json", None, FLAGS, seed=13)
    assert [q.id for q in again.order] == [q.id for q in data.order]
    assert [q.id for q in load_training_set(tiny / "squad.json", None, FLAGS, seed=14).order] != [q.id for q in data.order]

    mix = NegativeMix(easy=0.3, cut_out=0.5, same_article=0.5)
    hard = 0
    for i, q in enumerate(data.order):
        pairs = pairs_for(data, i, mix, seed=13)
        assert pairs == pairs_for(again, i, mix, seed=13)
        assert pairs[0][1] == q.context and pairs[0][2] == q.answer_start
        for _, context, start, answer in pairs[1:]:
            assert start is None and answer is None
            if not any(context in data.contexts_by_title[t] for t in data.titles if t != q.title):
                hard += 1  # its own paragraph cut, or another of its article's: on topic, but the answer is not there
                assert not any(a in context for a in q.answers)
    assert hard >= 0.6 * len(data.order)


def test_a_swapped_question_asks_its_own_paragraph_for_what_it_does_not_say(tiny):
    data = load_training_set(tiny / "squad.json", None, FLAGS, seed=13)
    plain, with_swaps = NegativeMix(), NegativeMix(swapped=1.0)
    swapped = 0
    for i, q in enumerate(data.order):
        pairs = pairs_for(data, i, with_swaps, seed=13)
        assert pairs[: len(pairs_for(data, i, plain, seed=13))] == pairs_for(data, i, plain, seed=13)  # drawn last
        for question, context, start, answer in pairs[1:]:
            if question == q.question:
                continue
            swapped += 1
            assert context == q.context and start is None and answer is None
            kept, before, after = _one_change(q.question, question)
            assert kept and before in q.context and after not in q.context
    assert swapped >= 0.3 * len(data.order)


def _one_change(old: str, new: str) -> tuple[bool, str, str]:
    """Whether `new` is `old` with one stretch of whole words replaced, and that stretch before and after."""
    head = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new)))
    tail = next((i for i, (a, b) in enumerate(zip(reversed(old), reversed(new))) if a != b), 0)
    while head > 0 and old[head - 1].isalnum():  # "Alaska" -> "Canada" shares an "a" at the end, not a word
        head -= 1
    while tail > 0 and old[len(old) - tail].isalnum():
        tail -= 1
    return (
        old[:head] + old[len(old) - tail :] == new[:head] + new[len(new) - tail :],
        old[head : len(old) - tail],
        new[head : len(new) - tail],
    )


def test_the_command_runs_a_slice_and_refuses_one_without_a_budget(tiny, tmp_path, capsys):
    from cli.main import main

    common = ["train-reader", "--resume", str(tmp_path / "run"), "--squad", str(tiny / "squad.json"), "--base-model", str(tiny / "model")]
    assert main(common) == 2
    assert "--minutes M or --questions N" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
    assert main([*common, "--questions", "10", "--heldout-questions", "5"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["cursor"] == 10 and report["recipe"]["negatives"] == {"easy": 0.3, "cut_out": 0.2, "same_article": 0.2, "swapped": 0.0}
