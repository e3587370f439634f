"""`python -m bench.cluster` (`make bench-cluster`): the plain product next to the same product on a
local Ray cluster, on this machine. Ingest chunks/s, `rag ingest` vs `rag ingest --ray local`;
answers/s and CPU seconds per answer, `rag serve` vs `rag serve --ray local` with 1 and 2 replicas.

Every run is the real command in a child process, timed from outside (start-up included: that is
what a user waits for), one after another so no run's CPU use distorts another's. On a 2-core
machine two replicas can at best double one single-threaded replica, and the plain server already
uses both cores: the ratios say what the cluster path costs here, not what a cluster gains.
Output: bench/out/cluster.json and a table on stdout; docs/scale.md cites the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import rag.settings  # noqa: E402,F401  first, as in `rag`: it sets OMP_WAIT_POLICY before torch or faiss load
from bench.corpus import generate_articles, sentence_pool, write_jsonl  # noqa: E402
from bench.http_bench import Server, concurrency_run, serve  # noqa: E402
from bench.peer_compare import load_questions  # noqa: E402
from bench.run import _fresh, seed_index  # noqa: E402
from rag.hardware import cpu_model_name  # noqa: E402
from rag.settings import REPO_ROOT  # noqa: E402

DEFAULT_OUT = REPO_ROOT / "bench" / "out"
_RAY_SUMMARY = re.compile(r"(\d+) chunks in ([\d.]+) s \(([\d.]+) chunks/s\)")


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (Linux /proc), in seconds."""
    ticks = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _tree(pid: int) -> list[int]:
    """The process and its descendants (a Ray cluster's processes hang below the command)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
    tree, frontier = [pid], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        tree += children
        frontier += children
    return tree


def ingest(corpus: Path, data_dir: Path, ray: bool) -> dict:
    """`rag ingest` of the corpus into a fresh data dir, timed from outside."""
    cmd = [sys.executable, "-m", "cli.main", "ingest", "-q", *(["--ray", "local"] if ray else []), str(corpus)]
    env = {**os.environ, "RAG_DATA_DIR": str(_fresh(data_dir))}
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=3600)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {done.stderr[-2000:]}")
    chunks = int(re.search(r"(\d+) chunks\.$", done.stdout.strip()).group(1))
    result = {
        "chunks": chunks,
        "wall_seconds": round(seconds, 1),
        "chunks_per_s_wall": round(chunks / seconds, 1),
        # docs/scale.md sizes the store from these
        "store_bytes_per_chunk": round(sum(p.stat().st_size for p in data_dir.glob("rag.sqlite3*")) / chunks),
        "snapshot_bytes_per_chunk": round(sum(p.stat().st_size for p in data_dir.glob("vectors-*.faiss")) / chunks),
    }
    if ray and (m := _RAY_SUMMARY.search(done.stdout)):  # the command's own figure: cluster start-up excluded
        result["chunks_per_s_in_command"] = float(m.group(3))
    return result


@contextlib.contextmanager
def ray_serve(data_dir: Path, log_path: Path, replicas: int) -> Iterator[Server]:
    """`rag serve --ray local --replicas N`, ready once the command says every replica is up."""
    with serve(data_dir, log_path, extra_args=("--ray", "local", "--replicas", str(replicas)), ready_timeout=300) as server:
        deadline = time.monotonic() + 300
        while "serving on" not in log_path.read_text(errors="replace"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the replicas did not come up; see {log_path}")
            time.sleep(0.5)
        yield server


def throughput(server: Server, questions: list[str], clients: int, seconds: float) -> dict:
    """Answers/s under `clients` back-to-back clients, and the CPU seconds the serving processes spent per answer."""
    pids = _tree(server.pid)
    concurrency_run(server, questions, clients, 3.0)  # warm-up: first requests on each replica
    cpu0 = _cpu_seconds(pids)
    run = concurrency_run(server, questions, clients, seconds)
    cpu = _cpu_seconds(pids) - cpu0
    return {
        "clients": clients,
        "answers_per_s": run["qps"],
        "answers": run["answers"],
        "errors": run["errors"],
        "latency_ms": run["latency_ms"],
        "cpu_seconds_per_answer": round(cpu / run["answers"], 4) if run["answers"] else None,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="plain vs Ray: ingest chunks/s and answers/s on this machine")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--articles", type=int, default=600, help="generated articles to ingest (2-4 chunks each)")
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--seconds", type=float, default=20.0, help="length of each throughput run")
    args = p.parse_args(argv)
    work = args.out / "work" / "cluster"
    work.mkdir(parents=True, exist_ok=True)
    results: dict = {"machine": f"{cpu_model_name()}, {os.cpu_count()} cores", "loadavg_1min_at_start": round(os.getloadavg()[0], 2)}

    corpus = _fresh(work / "corpus")
    records = generate_articles(args.articles, sentence_pool())
    for n in range(8):  # several files: Ray Data parses them as parallel tasks
        write_jsonl(records[n::8], corpus / f"part-{n}.jsonl")
    print(f"[bench] ingest of {args.articles} articles, plain then Ray", flush=True)
    results["ingest"] = {"plain": ingest(corpus, work / "plain-data", ray=False), "ray": ingest(corpus, work / "ray-data", ray=True)}
    print(f"    {results['ingest']}", flush=True)

    questions = [q["question"] for q in load_questions(REPO_ROOT / "eval" / "seeds_qa.jsonl")]
    seed_dir = seed_index(work / "seed-data").data_dir
    serving: dict = {}
    print("[bench] answers/s: rag serve", flush=True)
    with serve(seed_dir, work / "serve-plain.log") as server:
        serving["plain"] = throughput(server, questions, args.clients, args.seconds)
    for replicas in (1, 2):
        print(f"[bench] answers/s: rag serve --ray local --replicas {replicas}", flush=True)
        with ray_serve(seed_dir, work / f"serve-ray-{replicas}.log", replicas) as server:
            serving[f"ray_{replicas}"] = throughput(server, questions, args.clients, args.seconds)
    results["serving"] = serving
    results["ratios"] = {
        "ingest_ray_vs_plain_wall": round(
            results["ingest"]["ray"]["chunks_per_s_wall"] / results["ingest"]["plain"]["chunks_per_s_wall"], 2
        ),
        "answers_ray_2_vs_1": round(serving["ray_2"]["answers_per_s"] / serving["ray_1"]["answers_per_s"], 2),
        "answers_ray_2_vs_plain": round(serving["ray_2"]["answers_per_s"] / serving["plain"]["answers_per_s"], 2),
    }
    results["loadavg_1min_at_end"] = round(os.getloadavg()[0], 2)
    (args.out / "cluster.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
