"""The speed levers, each measured with its quality: `python -m bench.levers` (after `make bench`'s
seed index exists, or it builds one).

Every configuration runs in a fresh process (torch threads and quantisation are
process-wide), answers the same questions over the seed corpus one at a time, and reports
latency with EM/F1. Reader quantisation is also scored on SQuAD held-out articles, where
2,000 questions can show a 1-point F1 change that 58 seed questions cannot.
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

OUT = REPO_ROOT / "bench" / "out"
SQUAD = REPO_ROOT.parent / "shared" / "datasets" / "squad-v1.1-dev.json.zip"

# name -> environment: every lever is a product setting, and each config names all the ones
# it depends on, so that the defaults (bf16 where the CPU has it) never leak into the baseline
_BASELINE = {"RAG_MODEL_DTYPE": "float32", "RAG_TOP_K": "5", "RAG_READER_FIRST_PASS": "5"}  # all top_k in one batch
_BF16 = _BASELINE | {"RAG_MODEL_DTYPE": "bfloat16"}
CONFIGS: dict[str, dict[str, str]] = {
    "baseline (fp32, torch threads = cores, top_k 5)": _BASELINE,
    "torch_threads=1": _BASELINE | {"RAG_TORCH_THREADS": "1"},
    "int8 reader (RAG_READER_QUANTIZE)": _BASELINE | {"RAG_READER_QUANTIZE": "true"},
    "bf16 reader + embedder (RAG_MODEL_DTYPE)": _BF16,
    "bf16, top_k 3": _BF16 | {"RAG_TOP_K": "3", "RAG_READER_FIRST_PASS": "3"},
    "bf16, staged reading 2 then 5 below 0.9 (defaults)": _BF16 | {"RAG_READER_FIRST_PASS": "2", "RAG_READER_STOP_CONFIDENCE": "0.9"},
    "bf16, staged reading 3 then 5 below 0.9": _BF16 | {"RAG_READER_FIRST_PASS": "3", "RAG_READER_STOP_CONFIDENCE": "0.9"},
    "bf16, staged reading 2 then 5 below 0.97": _BF16 | {"RAG_READER_FIRST_PASS": "2", "RAG_READER_STOP_CONFIDENCE": "0.97"},
}


def one_config(data_dir: Path, questions: Path) -> dict:
    """Child process: our pipeline with the RAG_* environment it was given."""
    from bench.peer_compare import load_questions, quality
    from bench.stats import percentiles
    from rag.service import Services
    from rag.settings import Settings

    services = Services(Settings(data_dir=data_dir))
    pipeline = services.warm_up()
    qa = load_questions(questions)
    latencies, stages, predictions, read = [], {"embed_ms": [], "read_ms": []}, [], []
    for q in qa:
        t = time.perf_counter()
        answer = pipeline.ask(q["question"])
        latencies.append(1000 * (time.perf_counter() - t))
        predictions.append(answer.answer)
        read.append(answer.passages_read)
        for k in stages:
            stages[k].append(answer.timings_ms[k])
    return {
        "latency_ms": percentiles(latencies),
        "read_ms": percentiles(stages["read_ms"]),
        "passages_read_mean": round(sum(read) / len(read), 2),
        "quality": quality(predictions, qa),
    }


def squad_heldout(precision: str, limit: int) -> dict:
    """Child process: the shipped reader on SQuAD held-out articles (never seen in training),
    in fp32, int8 (RAG_READER_QUANTIZE) or bf16 (what RAG_MODEL_DTYPE does to the loaded model)."""
    import torch

    from rag.reader.model import Reader
    from rag.reader.squad import load_squad, split_by_article
    from rag.reader.train import evaluate_heldout
    from rag.settings import Settings

    s = Settings()
    _, heldout = split_by_article(load_squad(SQUAD))
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    reader = Reader(s.reader_model, max_length=s.reader_max_length, stride=s.reader_stride, quantize=precision == "int8", dtype=dtype)
    return {"precision": precision, **evaluate_heldout(reader, heldout[:limit])}


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


def _child(args: list[str], env: dict[str, str]) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.levers", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **env},
        cwd=REPO_ROOT,
        timeout=1200,
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip()[-500:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="measure each speed lever with its quality")
    p.add_argument("mode", nargs="?", default="all", choices=["all", "one", "squad", "embed"])
    p.add_argument("--embed-chunks", type=int, default=512)
    p.add_argument("--data-dir", type=Path, default=OUT / "work" / "seed-data")
    p.add_argument("--questions", type=Path, default=REPO_ROOT / "eval" / "seeds_qa.jsonl")
    p.add_argument("--squad-limit", type=int, default=2015)
    p.add_argument("--precision", choices=["fp32", "int8", "bf16"], default="fp32")
    p.add_argument("--only", nargs="*", help="config names to run (default: all)")
    args = p.parse_args(argv)
    if args.mode == "one":
        print(json.dumps(one_config(args.data_dir, args.questions)))
        return 0
    if args.mode == "embed":
        print(json.dumps(embed_throughput(args.embed_chunks)))
        return 0
    if args.mode == "squad":
        print(json.dumps(squad_heldout(args.precision, args.squad_limit)))
        return 0

    if not (args.data_dir / "rag.sqlite3").exists():
        from bench.run import seed_index

        seed_index(args.data_dir)
    results: dict = {"configs": {}, "squad_heldout": {}}
    for name, env in CONFIGS.items():
        if args.only and name not in args.only:
            continue
        r = _child(["one", "--data-dir", str(args.data_dir), "--questions", str(args.questions)], env)
        results["configs"][name] = r
        print(f"{name:45s} {json.dumps(r)}", flush=True)
    if args.squad_limit:
        for precision in ("fp32", "int8", "bf16"):
            r = _child(["squad", "--squad-limit", str(args.squad_limit), "--precision", precision], {})
            results["squad_heldout"][precision] = r
            print(f"SQuAD held-out {precision}: {json.dumps(r)}", flush=True)
    if args.embed_chunks:
        results["embedding"] = _child(["embed", "--embed-chunks", str(args.embed_chunks)], {})
        print(f"embedding throughput: {json.dumps(results['embedding'])}", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "levers.json").write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
