"""`rag serve --ray local --replicas 2`: the same app on Ray Serve, on a real local Ray cluster
(this machine only, started by the command in a child process and stopped with it); every
request goes to Serve's proxy on 127.0.0.1.

Two replicas answer the seed questions exactly as `rag serve` does; both pick up an ingest
without a restart; a replica killed with SIGKILL under load is replaced by Serve, later
requests are answered and no request hangs. Replica processes are found in /proc as the
command's descendants named `ray::ServeReplica…` (Ray sets that process title).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from rag.service import Services
from rag.settings import REPO_ROOT, Settings
from tests.processes import descendants, processes, wait_for
from tests.serve_process import ServeProcess

QUESTIONS = [json.loads(line)["question"] for line in (REPO_ROOT / "eval" / "seeds_qa.jsonl").read_text().splitlines() if line.strip()]
CLIENT_TIMEOUT = 90.0  # past the Serve proxy's own request timeout (2 x RAG_MODEL_TIMEOUT_SECONDS = 60 s)
REPLICA_LOG = re.compile(r"ServeReplica:rag-news:rag-news pid=(\d+)\).*POST /v1/ask 200")


def replica_pids(server: ServeProcess) -> set[int]:
    return {pid for pid, cmdline in descendants(server.proc.pid).items() if cmdline.startswith("ray::ServeReplica")}


def ask(url: str, question: str, client: httpx.Client | None = None) -> dict:
    response = (client or httpx).post(f"{url}/v1/ask", json={"question": question}, timeout=CLIENT_TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()


@contextlib.contextmanager
def ray_serve(data_dir: Path, log_path: Path, *options: str, replicas: int = 2) -> Iterator[ServeProcess]:
    """`rag serve --ray local OPTIONS` over `data_dir`, ready with `replicas` replicas; on exit,
    SIGTERM, and every process of its local cluster must be gone."""
    os.environ["RAY_DEDUP_LOGS"] = "0"  # every replica's log line reaches the command's log at once (the child inherits it)
    try:
        server = ServeProcess(data_dir, log_path, "--ray", "local", *options)
    finally:
        del os.environ["RAY_DEDUP_LOGS"]
    server.data_dir = data_dir
    cluster: dict[int, str] = {}
    try:
        server.wait_ready(timeout=600)  # each replica loads and warms the mpnet reader on one CPU: minutes on a busy 2-core machine
        wait_for(lambda: len(replica_pids(server)) == replicas, 120, f"{replicas} replicas not running")
        cluster = descendants(server.proc.pid)
        yield server
    finally:
        server.stop(timeout=120)
        try:
            wait_for(lambda: not set(cluster) & set(processes()), 60, "cluster processes still running")
        finally:
            for pid in set(cluster) & set(processes()):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def ray_server(seed_settings, tmp_path_factory):
    """`rag serve --ray local --replicas 2` over a copy of the seed index (the tests ingest into it)."""
    root = tmp_path_factory.mktemp("ray-serve")
    shutil.copytree(seed_settings.data_dir, root / "data")
    with ray_serve(root / "data", root / "serve.log", "--replicas", "2") as server:
        yield server


class Load:
    """`clients` threads asking back to back until stop(); `results` fills with (sent, done, HTTP
    status or error name). Each request is bounded by CLIENT_TIMEOUT, so stop() returns."""

    def __init__(self, url: str, clients: int) -> None:
        self.url = url
        self.results: list[tuple[float, float, int | str]] = []
        self._stop = threading.Event()
        self.threads = [threading.Thread(target=self._client, args=(n * 7,), daemon=True) for n in range(clients)]
        for thread in self.threads:
            thread.start()

    def _client(self, offset: int) -> None:
        with httpx.Client(timeout=CLIENT_TIMEOUT) as http:
            n = offset
            while not self._stop.is_set():
                sent = time.monotonic()
                try:
                    outcome: int | str = http.post(f"{self.url}/v1/ask", json={"question": QUESTIONS[n % len(QUESTIONS)]}).status_code
                except httpx.HTTPError as exc:
                    outcome = type(exc).__name__
                self.results.append((sent, time.monotonic(), outcome))
                n += 1

    def stop(self) -> None:
        self._stop.set()
        for thread in self.threads:
            thread.join(CLIENT_TIMEOUT + 10)
        assert not any(thread.is_alive() for thread in self.threads), "a request hung"


def test_two_replicas_answer_the_seed_questions_as_rag_serve_does(ray_server, live_server):
    with ThreadPoolExecutor(2) as pool:
        served = list(pool.map(lambda q: ask(ray_server.url, q), QUESTIONS))
    plain = [ask(live_server, q) for q in QUESTIONS]
    for question, a, b in zip(QUESTIONS, served, plain):
        assert a["answer"] == b["answer"], question
        assert abs(a["confidence"] - b["confidence"]) <= 1e-4, question
        assert [(c["doc_id"], c["start"], c["end"]) for c in a["citations"]] == [
            (c["doc_id"], c["start"], c["end"]) for c in b["citations"]
        ], question

    def replicas_that_answered() -> set[int] | None:  # each replica logs its answers, with its pid, through the command
        pids = {int(pid) for pid in REPLICA_LOG.findall(ray_server.log())}
        return pids if len(pids) == 2 else None

    assert wait_for(replicas_that_answered, 30, "one replica answered everything") == replica_pids(ray_server)


def test_replicas_pick_up_an_ingest_without_a_restart(ray_server, tmp_path):
    article = tmp_path / "quillbury.txt"
    article.write_text(
        "title: Quillbury harbour reopens\ndate: 2026-01-02\n\n"
        "The harbour of Quillbury reopened on Tuesday. The mayor of Quillbury, Ottoline Brack, cut the ribbon.\n"
    )
    services = Services(Settings(data_dir=ray_server.data_dir))
    assert services.ingestor.ingest_paths([article]).added == ["quillbury"]
    services.store.close()
    with ThreadPoolExecutor(2) as pool:  # several requests, so both replicas answer some
        answers = list(pool.map(lambda _: ask(ray_server.url, "Who is the mayor of Quillbury?"), range(8)))
    for answer in answers:
        assert answer["answer"] == "Ottoline Brack"
        assert answer["citations"][0]["doc_id"] == "quillbury"


def test_a_replica_killed_under_load_is_replaced_and_no_request_hangs(ray_server):
    before = replica_pids(ray_server)
    load = Load(ray_server.url, 4)
    time.sleep(5)
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    killed_at = time.monotonic()
    try:
        replacement = wait_for(lambda: (replica_pids(ray_server) - before) or None, 180, "the killed replica was not replaced")
        replaced_at = time.monotonic()
        time.sleep(5)  # load goes on with the replacement in the pool
    finally:
        load.stop()
    results = load.results

    in_flight = [outcome for sent, done, outcome in results if sent <= killed_at <= done]
    between = [outcome for sent, done, outcome in results if killed_at < sent < replaced_at]
    after = [outcome for sent, done, outcome in results if sent > replaced_at]
    print(
        f"\nreplica {victim} killed; replaced by {sorted(replacement)} after {replaced_at - killed_at:.1f} s; "
        f"in flight at the kill: {in_flight}; sent while it was replaced: {len(between)}, "
        f"outcomes {sorted(set(map(str, between)))}; sent after: {len(after)}, outcomes {sorted(set(map(str, after)))}"
    )
    assert not any(outcome in ("ReadTimeout", "WriteTimeout", "PoolTimeout", "ConnectTimeout") for _, _, outcome in results)
    assert set(in_flight) <= {200, 500}, in_flight  # the killed replica's in-flight requests fail fast, the others finish
    assert between and between.count(200) >= len(between) // 2, "the surviving replica did not carry the load"
    assert after and all(outcome == 200 for outcome in after)
    assert len(replica_pids(ray_server)) == 2


@pytest.mark.slow
def test_autoscaling_adds_a_replica_under_load(seed_settings, tmp_path):
    """--min-replicas 1 --max-replicas 2: more requests in flight than one replica's target
    (RAG_MODEL_CONCURRENCY) make Serve start the second replica, and every request is answered."""
    shutil.copytree(seed_settings.data_dir, tmp_path / "data")
    with ray_serve(tmp_path / "data", tmp_path / "serve.log", "--min-replicas", "1", "--max-replicas", "2", replicas=1) as server:
        load = Load(server.url, 12)
        try:
            wait_for(lambda: len(replica_pids(server)) == 2, 240, "no second replica under load")
        finally:
            load.stop()
        assert load.results and {outcome for _, _, outcome in load.results} == {200}
