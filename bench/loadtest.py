"""`make loadtest`: N concurrent clients against a real `rag serve` over the seed index, on loopback.

A pass/fail check, unlike `make bench`: it exits 1 if any request fails (a non-200 status or
a transport error) or if the server's resident memory grows by more than a stated bound
between the end of warm-up and the end of the run (steady traffic must not leak). It also
reports p50/p95/p99 latency per request kind, requests per second and the server's RSS.

    python -m bench.loadtest --clients 50 --seconds 60

Bounded: a fixed duration, a per-request timeout, a fixed client count; 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import httpx

from bench.http_bench import serve
from bench.stats import peak_rss_mb, percentiles, rss_mb
from rag.settings import REPO_ROOT

OUT = REPO_ROOT / "bench" / "out" / "loadtest"
QUESTIONS = [
    "Who is the French President?",
    "What did the European Union decide about Russia?",
    "Which country was attacked by drones?",
    "What happened on Meet the Press?",
    "Who won the election?",
    "What is the price of oil?",
    "When did the attack happen?",
    "What did the U.S. say about sanctions?",
]
# What a client does next, by weight: mostly questions, as real traffic is.
MIX = [("ask", 0.7), ("documents", 0.15), ("document", 0.1), ("readyz", 0.05)]


def build_index(data_dir: Path) -> None:
    """The seed corpus, ingested by the real CLI (a no-op when already current)."""
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "ingest", "-q", str(REPO_ROOT / "seeds")],
        cwd=REPO_ROOT,
        env={**os.environ, "RAG_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise SystemExit(f"ingest failed:\n{done.stderr}")


async def _one(client: httpx.AsyncClient, kind: str, doc_ids: list[str], rng: random.Random) -> int:
    if kind == "ask":
        r = await client.post("/v1/ask", json={"question": rng.choice(QUESTIONS)})
    elif kind == "documents":
        r = await client.get("/v1/documents")
    elif kind == "document":
        r = await client.get(f"/v1/documents/{rng.choice(doc_ids)}")
    else:
        r = await client.get("/readyz")
    return r.status_code


async def _client_loop(n: int, client: httpx.AsyncClient, until: float, doc_ids: list[str], log: dict) -> None:
    rng = random.Random(n)
    kinds, weights = zip(*MIX)
    while time.monotonic() < until:
        kind = rng.choices(kinds, weights)[0]
        begun = time.perf_counter()
        try:
            status = await _one(client, kind, doc_ids, rng)
        except httpx.HTTPError as exc:
            status = f"{type(exc).__name__}"
        log["latency_ms"][kind].append(1000 * (time.perf_counter() - begun))
        log["status"][str(status)] += 1


async def run_load(url: str, pid: int, clients: int, seconds: float, warmup: float) -> dict:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        doc_ids = [d["doc_id"] for d in (await client.get("/v1/documents")).json()]
        warm = {"latency_ms": defaultdict(list), "status": defaultdict(int)}
        until = time.monotonic() + warmup
        await asyncio.gather(*(_client_loop(n, client, until, doc_ids, warm) for n in range(clients)))
        rss_after_warmup = rss_mb(pid)
        log = {"latency_ms": defaultdict(list), "status": defaultdict(int)}
        begun = time.monotonic()
        await asyncio.gather(*(_client_loop(n, client, begun + seconds, doc_ids, log) for n in range(clients)))
        elapsed = time.monotonic() - begun
    total = sum(log["status"].values())
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": total,
        "requests_per_s": round(total / elapsed, 2),
        "status": dict(log["status"]),
        "warmup_status": dict(warm["status"]),
        "errors": total - log["status"].get("200", 0) + sum(v for k, v in warm["status"].items() if k != "200"),
        "latency_ms": {kind: percentiles(v) for kind, v in log["latency_ms"].items()},
        "all_latency_ms": percentiles([ms for v in log["latency_ms"].values() for ms in v]),
        "rss_mb": {"after_warmup": rss_after_warmup, "end": rss_mb(pid), "peak": peak_rss_mb(pid)},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=10.0, help="load before the memory baseline is taken")
    parser.add_argument("--rss-bound-mb", type=float, default=150.0, help="allowed RSS growth after warm-up")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if not (1 <= args.clients <= 200 and 1 <= args.seconds <= 600):
        parser.error("clients must be 1-200 and seconds 1-600")

    args.out.mkdir(parents=True, exist_ok=True)
    data_dir = args.out / "data"
    build_index(data_dir)
    with serve(data_dir, args.out / "serve.log", env={"RAG_LOG_FORMAT": "json"}) as server:
        rss_ready = rss_mb(server.pid)
        report = asyncio.run(run_load(server.url, server.pid, args.clients, args.seconds, args.warmup))
    report["rss_mb"]["ready"] = rss_ready
    growth = report["rss_mb"]["end"] - report["rss_mb"]["after_warmup"]
    report["rss_growth_mb"] = round(growth, 1)
    report["rss_bound_mb"] = args.rss_bound_mb
    report["ok"] = report["errors"] == 0 and growth <= args.rss_bound_mb
    (args.out / "loadtest.json").write_text(json.dumps(report, indent=2))
    lat = report["all_latency_ms"]
    print(
        f"{report['clients']} clients, {report['seconds']} s: {report['requests']} requests, "
        f"{report['requests_per_s']} req/s, errors {report['errors']}; latency p50 {lat['p50']} ms, "
        f"p95 {lat['p95']} ms, p99 {lat['p99']} ms"
    )
    for kind, p in report["latency_ms"].items():
        print(f"  {kind:10s} n={p['n']:5d}  p50 {p['p50']} ms  p95 {p['p95']} ms")
    rss = report["rss_mb"]
    print(
        f"server RSS: ready {rss['ready']} MB, after warm-up {rss['after_warmup']} MB, end {rss['end']} MB "
        f"(growth {report['rss_growth_mb']} MB, bound {args.rss_bound_mb} MB), peak {rss['peak']} MB"
    )
    print(("PASS" if report["ok"] else "FAIL") + f"  (details: {args.out / 'loadtest.json'})")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
