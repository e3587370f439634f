"""The speed levers, each measured with its quality: `python -m bench.levers` (after `make bench`'s
seed index exists, or it builds one).

- `shapes`: the reader alone, each runtime (torch fp32, torch bf16, OpenVINO int8) on the same padded
  batches, rounds interleaved so that load from other processes falls on all of them alike; medians.
- `squad`: each runtime and each "read fewer tokens" setting on SQuAD v1.1 dev questions of the
  10 held-out articles (300 by default; the shipped reader saw no dev question at all): F1/EM, how often
  it answers, and how often it abstains when the answer is cut out (what int8 does to the calibration).
- `one`: the whole pipeline over the seed corpus, one question at a time, per product setting.

Every configuration runs in a fresh process (torch threads and runtimes are process-wide). A lever is
adopted when it keeps SQuAD F1 within 1 point of torch float32.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from rag.settings import REPO_ROOT

OUT = REPO_ROOT / "bench" / "out"
SQUAD = REPO_ROOT.parent / "shared" / "datasets" / "squad-v1.1-dev.json.zip"

# name -> environment: every lever is a product setting, and each config names all the ones it
# depends on, so that the defaults (chosen per CPU) never leak into the baseline
_BASELINE = {
    "RAG_READER_RUNTIME": "torch-fp32",
    "RAG_MODEL_DTYPE": "float32",
    "RAG_TOP_K": "5",
    "RAG_READER_FIRST_PASS": "5",
}  # all top_k in one batch
_INT8 = _BASELINE | {"RAG_READER_RUNTIME": "openvino-int8"}
_STAGED = {"RAG_READER_FIRST_PASS": "2", "RAG_READER_STOP_CONFIDENCE": "0.9"}
CONFIGS: dict[str, dict[str, str]] = {
    "torch fp32, top_k 5 in one pass": _BASELINE,
    "openvino int8, top_k 5 in one pass": _INT8,
    "openvino int8, staged reading 2 then 5 below 0.9 (defaults)": _INT8 | _STAGED,
    "openvino int8, staged, focus 128 tokens": _INT8 | _STAGED | {"RAG_READER_FOCUS_TOKENS": "128"},
    "openvino int8, staged reading 1 then 5 below 0.9": _INT8 | _STAGED | {"RAG_READER_FIRST_PASS": "1"},
    "openvino int8, staged 1 then 5, max window 192": _INT8 | _STAGED | {"RAG_READER_FIRST_PASS": "1", "RAG_READER_MAX_LENGTH": "192"},
}
# SQuAD variants: (runtime, max_length, focus_tokens, question cap): bf16 is emulated on a CPU without
# AVX-512-BF16/AMX and several times slower, so it reads fewer questions there
SQUAD_VARIANTS: dict[str, tuple[str, int, int | None, int | None]] = {
    "torch-fp32": ("torch-fp32", 256, None, None),
    "openvino-int8": ("openvino-int8", 256, None, None),
    "openvino-int8, focus 128": ("openvino-int8", 256, 128, None),
    "openvino-int8, max window 192": ("openvino-int8", 192, None, None),
    "torch-bf16": ("torch-bf16", 256, None, 60),
}
SHAPES = ((2, 192), (1, 224), (3, 256), (4, 128))


def one_config(data_dir: Path, questions: Path, records: bool = False) -> dict:
    """Child process: our pipeline with the RAG_* environment it was given; with `records`, also each
    question's reply, confidence and ms (bench/cascade.py mixes two readers' replies)."""
    from bench.peer_compare import load_questions, quality
    from bench.stats import percentiles
    from rag.service import Services
    from rag.settings import Settings

    services = Services(Settings(data_dir=data_dir))
    pipeline = services.warm_up(shapes_in_background=False)
    qa = load_questions(questions)
    latencies, stages, predictions, read = [], {"embed_ms": [], "read_ms": []}, [], []
    confidences = []
    for q in qa:
        t = time.perf_counter()
        answer = pipeline.ask(q["question"])
        latencies.append(1000 * (time.perf_counter() - t))
        predictions.append(answer.answer)
        confidences.append(answer.confidence)
        read.append(answer.passages_read)
        for k in stages:
            stages[k].append(answer.timings_ms[k])
    result = {
        "latency_ms": percentiles(latencies),
        "read_ms": percentiles(stages["read_ms"]),
        "passages_read_mean": round(sum(read) / len(read), 2),
        "quality": quality(predictions, qa),
    }
    if records:
        result["records"] = [{"answer": a, "confidence": c, "ms": ms} for a, c, ms in zip(predictions, confidences, latencies)]
    return result


def squad_heldout(variant: str, limit: int) -> dict:
    """Child process: the shipped reader, as `SQUAD_VARIANTS[variant]` says, on SQuAD dev questions
    of the held-out articles."""
    from rag.reader.model import Reader
    from rag.reader.squad import load_squad, split_by_article
    from rag.reader.train import evaluate_heldout
    from rag.settings import Settings

    runtime, max_length, focus, cap = SQUAD_VARIANTS[variant]
    s = Settings()
    _, heldout = split_by_article(load_squad(SQUAD))
    reader = Reader(
        s.reader_model, max_length=max_length, stride=s.reader_stride, runtime=runtime, threads=s.torch_threads, focus_tokens=focus
    )
    return {"variant": variant, **evaluate_heldout(reader, heldout[: min(limit, cap or limit)])}


def reader_shapes(runtimes: list[str], rounds: int, shapes: list[tuple[int, int]]) -> dict:
    """Child process: ms per batch of each runtime at each (windows, tokens) shape; every round runs
    every runtime once per shape, so a busy spell slows all alike; the median over rounds is reported."""
    import torch

    from rag.reader.model import Reader
    from rag.settings import Settings

    s = Settings()
    readers = {name: Reader(s.reader_model, runtime=name, threads=s.torch_threads) for name in runtimes}
    times: dict[str, dict[str, list[float]]] = {name: {f"{b}x{n}": [] for b, n in shapes} for name in runtimes}
    for r in range(rounds + 1):  # round 0 builds each shape's kernels and is not counted
        for batch, length in shapes:
            ids = torch.randint(1000, 20000, (batch, length))
            mask = torch.ones_like(ids)
            mask[:, -5:] = 0
            for name, reader in readers.items():
                t = time.perf_counter()
                reader.runtime.logits({"input_ids": ids, "attention_mask": mask})
                if r:
                    times[name][f"{batch}x{length}"].append(1000 * (time.perf_counter() - t))
    return {name: {shape: round(statistics.median(v), 1) for shape, v in by_shape.items()} for name, by_shape in times.items()}


def embed_throughput(n_chunks: int) -> dict:
    """Child process: passage-embedding speed (what bounds ingest) in fp32, bf16 and int8, with
    how far each moves the vectors (cosine to fp32: retrieval only sees directions)."""
    import copy

    import numpy as np
    import torch

    from bench.corpus import generate_articles, sentence_pool
    from index.chunk import Chunker
    from index.embed import Embedder
    from index.types import Article

    chunker = Chunker(max_tokens=160, overlap_tokens=32)  # the chunks the recorded embedding figures were measured on
    texts: list[str] = []
    for record in generate_articles(n_chunks, sentence_pool(), seed=11):
        texts += [c.text for c in chunker.chunk(Article(record["id"], record["title"], record["text"]))]
        if len(texts) >= n_chunks:
            break
    texts = texts[:n_chunks]
    embedder = Embedder()
    fp32_model = embedder.model
    variants = {
        "fp32": fp32_model,
        "bf16": copy.deepcopy(fp32_model).to(torch.bfloat16),  # a copy: the fp32 reference must stay fp32
        "int8 dynamic": torch.ao.quantization.quantize_dynamic(fp32_model, {torch.nn.Linear}, dtype=torch.qint8),
    }
    out, reference = {}, None
    for name, model in variants.items():
        embedder.model = model
        embedder.embed_passages(texts[:32])
        t = time.perf_counter()
        vectors = embedder.embed_passages(texts)
        seconds = time.perf_counter() - t
        if reference is None:
            reference = vectors
        cos = (vectors * reference).sum(axis=1) / np.linalg.norm(vectors, axis=1)
        out[name] = {
            "chunks": len(texts),
            "chunks_per_s": round(len(texts) / seconds, 1),
            "cosine_to_fp32_min": round(float(cos.min()), 4),
            "cosine_to_fp32_mean": round(float(cos.mean()), 5),
        }
    return out


CHILD_TIMEOUT_S = 3600  # 300 questions in torch fp32 took over 1,200 s on a busy 2-core Zen 3


def child_result(module: str, args: list[str], env: dict[str, str]) -> dict:
    """`python -m module args` in its own process (torch threads and runtimes are process-wide), its last
    line of output read as JSON; a failure or a time-out is recorded, and the other levers still run."""
    try:
        proc = subprocess.run(
            [sys.executable, "-m", module, *args],
            capture_output=True,
            text=True,
            env={**os.environ, "HF_HUB_OFFLINE": "1", **env},
            cwd=REPO_ROOT,
            timeout=CHILD_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {CHILD_TIMEOUT_S} s"}
    if proc.returncode != 0:
        return {"error": proc.stderr.strip()[-500:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _shape(text: str) -> tuple[int, int]:
    windows, tokens = text.split("x")
    return int(windows), int(tokens)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="measure each speed lever with its quality")
    p.add_argument("mode", nargs="?", default="all", choices=["all", "one", "squad", "shapes", "embed"])
    p.add_argument("--embed-chunks", type=int, default=0)
    p.add_argument("--records", action="store_true", help="one: also each question's reply, confidence and ms")
    p.add_argument("--data-dir", type=Path, default=OUT / "work" / "seed-data")
    p.add_argument("--questions", type=Path, default=REPO_ROOT / "eval" / "seeds_qa.jsonl")
    p.add_argument("--squad-limit", type=int, default=300)
    p.add_argument("--variant", choices=list(SQUAD_VARIANTS), default="torch-fp32")
    p.add_argument("--runtimes", nargs="*", default=["torch-fp32", "torch-bf16", "openvino-int8"])
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument(
        "--shapes", type=_shape, nargs="*", default=list(SHAPES), help="WINDOWSxTOKENS batches to time, e.g. 2x192 (the issue's)"
    )
    p.add_argument("--only", nargs="*", help="config or SQuAD variant names to run (default: all)")
    p.add_argument("--skip", nargs="*", default=[], choices=["configs", "squad", "shapes"])
    args = p.parse_args(argv)
    if args.mode == "one":
        print(json.dumps(one_config(args.data_dir, args.questions, args.records)))
        return 0
    if args.mode == "embed":
        print(json.dumps(embed_throughput(args.embed_chunks)))
        return 0
    if args.mode == "squad":
        print(json.dumps(squad_heldout(args.variant, args.squad_limit)))
        return 0
    if args.mode == "shapes":
        print(json.dumps(reader_shapes(args.runtimes, args.rounds, args.shapes)))
        return 0

    from rag.hardware import cpu_model_name

    results: dict = {"cpu": cpu_model_name(), "load_before": os.getloadavg(), "configs": {}, "squad_heldout": {}}
    if "shapes" not in args.skip:
        shapes = [f"{b}x{n}" for b, n in args.shapes]
        results["reader_ms"] = child_result(
            "bench.levers", ["shapes", "--rounds", str(args.rounds), "--runtimes", *args.runtimes, "--shapes", *shapes], {}
        )
        print(f"reader alone, median ms per batch: {json.dumps(results['reader_ms'])}", flush=True)
    if "squad" not in args.skip:
        for variant in SQUAD_VARIANTS:
            if args.only and variant not in args.only:
                continue
            r = child_result("bench.levers", ["squad", "--squad-limit", str(args.squad_limit), "--variant", variant], {})
            results["squad_heldout"][variant] = r
            print(f"SQuAD held-out {variant}: {json.dumps(r)}", flush=True)
    if "configs" not in args.skip:
        if not (args.data_dir / "rag.sqlite3").exists():
            from bench.run import seed_index

            seed_index(args.data_dir)
        for name, env in CONFIGS.items():
            if args.only and name not in args.only:
                continue
            r = child_result("bench.levers", ["one", "--data-dir", str(args.data_dir), "--questions", str(args.questions)], env)
            results["configs"][name] = r
            print(f"{name:45s} {json.dumps(r)}", flush=True)
    if args.embed_chunks:
        results["embedding"] = child_result("bench.levers", ["embed", "--embed-chunks", str(args.embed_chunks)], {})
        print(f"embedding throughput: {json.dumps(results['embedding'])}", flush=True)
    results["load_after"] = os.getloadavg()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "levers.json").write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
