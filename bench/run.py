"""`make bench` / `python -m bench.run`: every figure of issue 8 in one run, table + JSON + PNG.

Steps run one after another, never side by side, so no step's CPU use distorts another's
timings on a 2-core machine. Output goes to bench/out/ (git-ignored): results.json,
results.md (the table), bench.png, and work/ (generated corpus, data directories, logs).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import rag.settings  # noqa: E402,F401  first, as in `rag`: it sets OMP_WAIT_POLICY before torch or faiss load
from bench import report  # noqa: E402
from bench.corpus import generate_articles, sentence_pool, write_jsonl  # noqa: E402
from bench.faiss_scale import SPECS, bench_faiss  # noqa: E402
from bench.http_bench import cli_ask_wall, concurrency_run, latency_run, serve  # noqa: E402
from bench.ingest_bench import bench_ingest  # noqa: E402
from bench.peer_compare import compare, load_questions, run_ours, run_peer  # noqa: E402
from rag.hardware import cpu_model_name  # noqa: E402
from rag.service import Services  # noqa: E402
from rag.settings import REPO_ROOT, Settings  # noqa: E402

DEFAULT_OUT = REPO_ROOT / "bench" / "out"
DEFAULT_PEER = REPO_ROOT / "bench" / ".venv-peer" / "bin" / "python"


class _Steps:
    """Announces each step and keeps how long it took: what to trim when a run overruns 15 minutes."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._current: tuple[str, float] | None = None

    def __call__(self, key: str, text: str) -> None:
        self.close()
        print(f"[bench {time.strftime('%H:%M:%S')}] {text}", flush=True)
        self._current = (key, time.perf_counter())

    def close(self) -> None:
        if self._current:
            key, t = self._current
            self.seconds[key] = round(time.perf_counter() - t, 1)
            self._current = None


def _fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def seed_index(data_dir: Path) -> Settings:
    """The seed corpus, ingested: the scale the latency targets are set at."""
    settings = Settings(data_dir=_fresh(data_dir))
    services = Services(settings)
    services.ingestor.ingest_paths([REPO_ROOT / "seeds"])
    services.store.close()
    return settings


def product_index_check(kind: str, faiss_results: list[dict], ingest_dir: Path, work: Path, questions: list[str]) -> dict:
    """Serve the ingested corpus with RAG_VECTOR_INDEX set to a large-scale index type: the
    server must build it from the store (training included) and answer through it."""
    chosen = next((f.get("chosen") for f in faiss_results if f.get("kind") == kind and f.get("chosen")), None)
    factory, params = SPECS[kind].factory, (chosen["params"] if chosen else SPECS[kind].sweep[-1])
    data_dir = _fresh(work / f"{kind}-data")
    for db in ingest_dir.glob("rag.sqlite3*"):
        shutil.copy2(db, data_dir / db.name)  # the store only: the server must build its own snapshot
    env = {"RAG_VECTOR_INDEX": factory, "RAG_VECTOR_SEARCH_PARAMS": params}
    with serve(data_dir, work / f"serve-{kind}.log", env) as server:
        run = latency_run(server, questions, passes=1)
    ok = run["errors"] == 0 and run["end_to_end_ms"]["n"] == len(questions)
    dense = run["stages_ms"]["dense_ms"]["p50"]
    return {
        "factory": factory,
        "params": params,
        "ok": ok,
        "summary": f"{run['end_to_end_ms']['n']}/{len(questions)} questions answered over HTTP, "
        f"dense search p50 {dense} ms, end to end p50 {run['end_to_end_ms']['p50']} ms",
        "run": run,
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="rag-news benchmark (issue 8)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    # 5,000 articles (14k chunks) took 9 of a 13.6-minute run with fp32 embeddings: 2,000 keeps
    # `make bench` under 15 minutes on 2 cores; use 5,000 once the embedder runs in bf16
    p.add_argument("--articles", type=int, default=2000, help="generated articles to ingest")
    p.add_argument("--questions", type=Path, default=REPO_ROOT / "eval" / "seeds_qa.jsonl")
    p.add_argument("--passes", type=int, default=3, help="passes over the questions for HTTP latency")
    p.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    p.add_argument("--concurrency-seconds", type=float, default=10.0)
    p.add_argument("--faiss-n", type=int, default=1_000_000)
    p.add_argument("--hnsw-n", type=int, default=None, help="HNSW size when 1M does not fit the time budget")
    p.add_argument("--faiss-uniform", action="store_true", help="uniformly random vectors (worst case) instead of generated")
    p.add_argument("--product-index", choices=["ivfpq", "hnsw"], default="ivfpq")
    p.add_argument("--peer-python", type=Path, default=DEFAULT_PEER)
    p.add_argument("--skip", nargs="*", default=[], choices=["ingest", "http", "peer", "faiss", "product-index"])
    p.add_argument("--publish", type=Path, help="also copy results and plot here (e.g. bench/results, which git tracks)")
    p.add_argument("--quick", action="store_true", help="tiny sizes: checks the runner, measures nothing")
    args = p.parse_args(argv)
    if args.quick:
        args.articles, args.passes, args.concurrency_seconds, args.faiss_n = 100, 1, 2.0, 20_000
        args.skip.append("product-index")  # IVF1024 cannot train on the ~300 chunks of 100 articles
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out, work = args.out, args.out / "work"
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    settings = Settings()
    results: dict = {
        "machine": f"{cpu_model_name()}, {os.cpu_count()} cores",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "settings": {
            k: str(v)
            for k, v in settings.model_dump().items()
            if k
            in (
                "reader_runtime",
                "reader_focus_tokens",
                "torch_threads",
                "top_k",
                "reader_first_pass",
                "reader_stop_confidence",
                "reader_max_length",
                "retrieve_candidates",
                "vector_index",
            )
        },
        "quick": args.quick,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        # other work on the machine distorts every figure: a start above ~0.5 means rerun later
        "loadavg_1min_at_start": round(os.getloadavg()[0], 2),
    }
    qa = load_questions(args.questions)
    questions = [q["question"] for q in qa]

    step = _Steps()
    step("seed-index", "indexing the seed corpus")
    seed_settings = seed_index(work / "seed-data")

    ingest_dir = work / "ingest-data"
    if "ingest" not in args.skip:
        step("ingest", f"generating {args.articles} articles and ingesting them")
        corpus = work / "corpus.jsonl"
        text_bytes = write_jsonl(generate_articles(args.articles, sentence_pool()), corpus)
        results["ingest"] = bench_ingest(corpus, _fresh(ingest_dir), text_bytes)
        print(f"    {results['ingest']}", flush=True)

    if "http" not in args.skip:
        step("http", "HTTP latency and throughput against `rag serve` over the seed corpus")
        with serve(seed_settings.data_dir, work / "serve-seed.log") as server:
            results["startup"] = {"ready_s": server.ready_s, "reader_shapes_warm_s": server.shapes_warm_s}
            results["latency"] = latency_run(server, questions, args.passes)
            results["concurrency"] = [concurrency_run(server, questions, c, args.concurrency_seconds) for c in args.concurrency]
            results["server_peak_rss_mb"] = results["concurrency"][-1]["server_peak_rss_mb"]
            results["cli_ask"] = {"via_server": cli_ask_wall(seed_settings.data_dir, questions[0], server.url)}
        results["cli_ask"]["local"] = cli_ask_wall(seed_settings.data_dir, questions[0], None, runs=1)
        print(f"    end to end {results['latency']['end_to_end_ms']}; rag ask {results['cli_ask']}", flush=True)

    if "peer" not in args.skip:
        step("peer", "ours in process, then the Haystack peer, same questions and chunks")
        results["ours"] = run_ours(seed_settings, qa)
        results["peer"] = run_peer(args.peer_python, seed_settings, qa, work)
        results["comparison"] = compare(results["ours"], results["peer"])
        print(f"    {results['comparison']}", flush=True)

    if "faiss" not in args.skip:
        sizes = {"hnsw": args.hnsw_n or args.faiss_n, "ivfpq": args.faiss_n}
        step("faiss", f"FAISS at scale: {sizes}")
        results["faiss"] = bench_faiss(
            sizes,
            _fresh(work / "faiss"),
            uniform=args.faiss_uniform,
            n_queries=200 if args.quick else 1000,
            latency_queries=50 if args.quick else 200,
        )

    if "product-index" not in args.skip and ingest_dir.joinpath("rag.sqlite3").exists():
        step("product-index", f"the product serving through {SPECS[args.product_index].factory}")
        results["product_index_check"] = product_index_check(args.product_index, results.get("faiss", []), ingest_dir, work, questions[:20])

    step.close()
    results["step_seconds"] = step.seconds
    results["bench_seconds"] = round(time.perf_counter() - started, 1)
    results["loadavg_1min_at_end"] = round(os.getloadavg()[0], 2)
    report.write_json(results, out / "results.json")
    table = report.markdown_table(results)
    header = f"{results['machine']}, {results['date']}, load average {results['loadavg_1min_at_start']} at start"
    (out / "results.md").write_text(f"{header}\n\n{table}\n", encoding="utf-8")
    report.plot(results, out / "bench.png")
    if args.publish:
        args.publish.mkdir(parents=True, exist_ok=True)
        for name in ("results.json", "results.md", "bench.png"):
            shutil.copy2(out / name, args.publish / name)
    print(
        f"\n{results['machine']} — {results['bench_seconds']} s — load average {results['loadavg_1min_at_start']} at start, "
        f"{results['loadavg_1min_at_end']} at end\n\n{table}\n\nwrote {out}/results.json, results.md, bench.png"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
