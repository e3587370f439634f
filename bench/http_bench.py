"""End-to-end latency and throughput through HTTP against a real `rag serve` process.

The server runs as its own process (python -m cli.main serve), so its peak memory is
read from the kernel for exactly that process, and client threads never share the
server's interpreter lock.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.stats import peak_rss_mb, percentiles, rss_mb
from rag.settings import REPO_ROOT

STAGES = ("embed_ms", "dense_ms", "bm25_ms", "fuse_ms", "read_ms", "total_ms")


@dataclass(frozen=True)
class Server:
    url: str
    pid: int
    ready_s: float = 0.0  # launch to /readyz 200: what a user waits for
    shapes_warm_s: float = 0.0  # launch to every reader shape built in the background (timings start after)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(
    data_dir: Path, log_path: Path, env: dict[str, str] | None = None, ready_timeout: float = 240.0, extra_args: tuple[str, ...] = ()
) -> Iterator[Server]:
    """`rag serve` on a free loopback port over `data_dir`; stopped (SIGTERM, then SIGKILL) on exit.
    `extra_args`: more `rag serve` options (bench/cluster.py: `--ray local --replicas N`).

    Rate limiting is switched off: the benchmark is one client that means to saturate the server.
    """
    port = _free_port()
    full_env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "RAG_DATA_DIR": str(data_dir),
        "RAG_RATE_LIMIT_PER_SECOND": "0",
        "RAG_LOG_FORMAT": "text",
        **(env or {}),
    }
    cmd = [sys.executable, "-m", "cli.main", "serve", "--host", "127.0.0.1", "--port", str(port), *extra_args]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            launched = time.monotonic()
            deadline = launched + ready_timeout
            ready_s = 0.0
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"the server exited during start-up; see {log_path}")
                with contextlib.suppress(httpx.HTTPError):
                    r = httpx.get(f"{url}/readyz", timeout=2)
                    if r.status_code == 200:
                        ready_s = ready_s or time.monotonic() - launched
                        if r.json().get("reader_shapes_warm", True):
                            break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the server was not ready after {ready_timeout:.0f} s; see {log_path}")
                time.sleep(0.25)
            yield Server(url, proc.pid, round(ready_s, 2), round(time.monotonic() - launched, 2))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=90)  # a Ray Serve app drains its replicas first
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def _ask(client: httpx.Client, url: str, question: str, top_k: int | None) -> tuple[float, dict | None]:
    body = {"question": question} | ({"top_k": top_k} if top_k else {})
    t = time.perf_counter()
    response = client.post(f"{url}/v1/ask", json=body, timeout=120)
    elapsed = 1000 * (time.perf_counter() - t)
    return elapsed, response.json() if response.status_code == 200 else None


def latency_run(server: Server, questions: list[str], passes: int = 3, top_k: int | None = None) -> dict:
    """One client, one question at a time. Pass 1 asks each question once (no embedding cache
    hits); later passes repeat them, as real traffic repeats popular questions."""
    e2e: list[float] = []
    first_pass: list[float] = []
    stages: dict[str, list[float]] = {s: [] for s in STAGES}
    errors = 0
    with httpx.Client() as client:
        # first-request overheads are start-up, not latency; a question outside the set, so that
        # pass 1 has no cached question embedding
        _ask(client, server.url, "Which question warms the server up?", top_k)
        for n in range(passes):
            for question in questions:
                ms, answer = _ask(client, server.url, question, top_k)
                if answer is None:
                    errors += 1
                    continue
                e2e.append(ms)
                if n == 0:
                    first_pass.append(ms)
                for stage in STAGES:
                    stages[stage].append(answer["timings_ms"].get(stage, 0.0))
    return {
        "end_to_end_ms": percentiles(e2e),
        "first_pass_ms": percentiles(first_pass),
        "stages_ms": {s: percentiles(v) for s, v in stages.items()},
        "errors": errors,
        "server_rss_mb": rss_mb(server.pid),
    }


def concurrency_run(server: Server, questions: list[str], clients: int, seconds: float = 10.0) -> dict:
    """`clients` threads, each asking back to back for `seconds`; answers per second overall."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    start = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client_loop(i: int) -> None:
        with httpx.Client() as client:
            start.wait()
            k = i
            while time.monotonic() < deadline[0]:
                ms, answer = _ask(client, server.url, questions[k % len(questions)], None)
                if answer is None:
                    errors[i] += 1
                else:
                    latencies[i].append(ms)
                k += 1

    threads = [threading.Thread(target=client_loop, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    deadline[0] = time.monotonic() + seconds
    t0 = time.perf_counter()
    start.wait()
    for t in threads:
        t.join(timeout=seconds + 180)
    elapsed = time.perf_counter() - t0
    done = [ms for per_client in latencies for ms in per_client]
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "answers": len(done),
        "errors": sum(errors),
        "qps": round(len(done) / elapsed, 2),
        "latency_ms": percentiles(done),
        "server_peak_rss_mb": peak_rss_mb(server.pid),
    }


def cli_ask_wall(data_dir: Path, question: str, server_url: str | None, runs: int = 3) -> dict:
    """Wall seconds of `rag ask QUESTION` as a user types it, launch to exit: through the running server at
    `server_url`, or with `--local` (everything loaded in the command) when it is None. Median of `runs`."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "RAG_DATA_DIR": str(data_dir)}
    if server_url:
        env["RAG_SERVER_URL"] = server_url
    cmd = [sys.executable, "-m", "cli.main", "ask", question, *([] if server_url else ["--local"])]
    walls = []
    for _ in range(runs):
        t = time.monotonic()
        subprocess.run(cmd, cwd=REPO_ROOT, env=env, check=True, capture_output=True, timeout=300)
        walls.append(time.monotonic() - t)
    return {"runs": runs, "median_s": round(sorted(walls)[len(walls) // 2], 2), "max_s": round(max(walls), 2)}
