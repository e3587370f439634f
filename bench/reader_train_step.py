"""What a reader training step costs on this CPU, lever by lever: `python -m bench.reader_train_step`.

On a CPU without bf16 hardware an epoch of the reader's training set takes days, so a cheaper step is
worth more than any other change to the recipe (issue 21). Each variant runs in a fresh process (torch
threads and compilation are process-wide) on the same fixed slice: the first questions of the sliced
run's order (`rag.reader.training_set`), their default negatives, the shipped reader's weights. A few
steps warm up, then `--steps` are timed. Windows/s is the rate; questions/s folds in how many windows a
question makes at that window length (192-token windows are cheaper but a long paragraph needs more).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from rag.settings import REPO_ROOT

OUT = REPO_ROOT / "bench" / "out" / "reader-train-step.json"
DATASETS = REPO_ROOT.parent / "shared" / "datasets"

VARIANTS: dict[str, dict] = {
    "fp32, 256 tokens, 1 thread": {},
    "fp32, 192 tokens, 1 thread": {"max_length": 192, "stride": 64},
    "fp32, 256 tokens, 1 thread, frozen embedding matrix": {"freeze_embeddings": True},
    "bf16 autocast, 256 tokens, 1 thread": {"bf16": True},
    "torch.compile, 256 tokens, 1 thread": {"compile": True},
    "fp32, 256 tokens, 2 threads": {"threads": 2},
}


def one_variant(name: str, steps: int, warmup: int, questions: int) -> dict:
    """Child process: time `steps` training steps of one variant."""
    import random

    import torch
    from transformers import AutoTokenizer

    from rag.hardware import cpu_model_name
    from rag.reader.train import _batches, build_windows, collate, train_step
    from rag.reader.training_set import NegativeMix, load_training_set, pairs_for
    from rag.reader.weights import load_qa_model

    v = {"max_length": 256, "stride": 96, "threads": 1, "freeze_embeddings": False, "bf16": False, "compile": False} | VARIANTS[name]
    torch.set_num_threads(v["threads"])
    torch.manual_seed(13)
    shipped = REPO_ROOT / "models" / "reader-accurate"
    data = load_training_set(
        DATASETS / "squad-v1.1-train-rebuilt.json.gz",
        DATASETS / "tydiqa-goldp-en-train.json.gz",
        DATASETS / "squad-v1.1-train-rebuilt.flags.json",
        seed=13,
    )
    tokenizer = AutoTokenizer.from_pretrained(shipped)
    pairs = [p for i in range(questions) for p in pairs_for(data, i, NegativeMix(easy=0.3, cut_out=0.2, same_article=0.2), 13)]
    windows = build_windows(tokenizer, pairs, v["max_length"], v["stride"])
    batches = [b for b in _batches(windows, 16, random.Random(13)) if len(b) == 16]  # full batches: one rate per window
    model = load_qa_model(shipped)
    if v["freeze_embeddings"]:
        model.get_input_embeddings().weight.requires_grad_(False)
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=5e-5, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: 1.0)
    if v["compile"]:
        model = torch.compile(model)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=v["bf16"])
    if len(batches) < warmup + steps:
        raise SystemExit(f"{len(batches)} batches in the slice: raise --questions")
    for batch in batches[:warmup]:
        train_step(model, collate(batch, tokenizer.pad_token_id, "cpu"), optimizer, schedule, autocast)
    timed = batches[warmup : warmup + steps]
    t0 = time.perf_counter()
    for batch in timed:
        train_step(model, collate(batch, tokenizer.pad_token_id, "cpu"), optimizer, schedule, autocast)
    seconds = time.perf_counter() - t0
    n_windows = sum(len(b) for b in timed)
    windows_per_question = len(windows) / questions
    return {
        "variant": name,
        "cpu": cpu_model_name(),
        "steps": steps,
        "windows": n_windows,
        "seconds": round(seconds, 1),
        "windows_per_second": round(n_windows / seconds, 3),
        "windows_per_question": round(windows_per_question, 3),
        "questions_per_second": round(n_windows / seconds / windows_per_question, 3),
        "mean_tokens_per_window": round(sum(len(w.input_ids) for b in timed for w in b) / n_windows, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", action="append", choices=sorted(VARIANTS), help="only these (repeatable; default all)")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--questions", type=int, default=400, help="size of the fixed slice the batches come from")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_variant(args.child, args.steps, args.warmup, args.questions)))
        return
    results = []
    for name in args.variant or list(VARIANTS):
        load = os.getloadavg()[0]
        cmd = [
            sys.executable,
            "-m",
            "bench.reader_train_step",
            "--child",
            name,
            "--steps",
            str(args.steps),
            "--warmup",
            str(args.warmup),
            "--questions",
            str(args.questions),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            result = {"variant": name, "error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
        else:
            result = json.loads(done.stdout.strip().splitlines()[-1])
        result.update(load_before=round(load, 2), load_after=round(os.getloadavg()[0], 2))
        print(json.dumps(result), flush=True)
        results.append(result)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
