"""Data safety: `rag ingest` killed with SIGKILL at several points leaves an index that loads and
answers, each document wholly old or wholly new; rerunning completes it. And a server keeps
answering while an ingest runs in another process, then serves the new documents unrestarted.

Everything real: the `rag` CLI in a subprocess, SQLite files on disk, the seed-index server on
uvicorn. Kill points are chosen by watching the database's commit counter (`generation`) from
outside, so "after k batches" is exact, not a guess from a delay.
"""

from __future__ import annotations

import random
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from index.chunk import Chunker
from index.parse import parse_file
from index.types import Article
from index.vectors import snapshot_path
from rag.service import Services
from rag.settings import Settings
from tests.serve_process import RAG, rag_env
from tests.support import running_server

DOCS = 32
BATCH = 4  # RAG_INGEST_BATCH_DOCS: 8 transactions per full ingest
TOWNS = ["Arlen", "Bexley", "Corvin", "Dunmore", "Elstow", "Fenwick", "Garrow", "Hollin"]
WORDS = "council budget bridge harbour school election river museum railway festival hospital market".split()


def _article_text(i: int, version: int) -> str:
    """A dated news-like article; version 2 has other facts and a different length, so its
    chunks differ in number, offsets and text from version 1."""
    rng = random.Random(i * 10 + version)
    town = TOWNS[i % len(TOWNS)]
    sentences = [
        f"The {rng.choice(WORDS)} of {town} {i} was discussed by {rng.randint(3, 90)} residents in version {version}."
        for _ in range(18 + 9 * version + i % 5)
    ]
    return f"title: {town} report {i} (v{version})\ndate: 2025-0{version}-1{i % 9}\n\n" + " ".join(sentences) + "\n"


def write_corpus(folder: Path, version: int) -> dict[str, Article]:
    folder.mkdir(parents=True, exist_ok=True)
    articles = {}
    for i in range(DOCS):
        path = folder / f"article-{i:03d}.txt"
        path.write_text(_article_text(i, version))
        [article] = parse_file(path)
        articles[article.doc_id] = article
    return articles


def run_ingest(data_dir: Path, corpus: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(RAG), "ingest", "-q", str(corpus)],
        env=rag_env(data_dir, ingest_batch_docs=str(BATCH)),
        capture_output=True,
        text=True,
        timeout=600,
    )


def generation(db: Path) -> int:
    """The store's commit counter, read the way any other process would."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return int(con.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])
    finally:
        con.close()


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    """Both versions of the corpus, and a data dir holding version 1, ingested by the CLI."""
    root = tmp_path_factory.mktemp("crash")
    old, new = write_corpus(root / "v1", 1), write_corpus(root / "v2", 2)
    base = root / "base-data"
    done = run_ingest(base, root / "v1")
    assert done.returncode == 0, done.stderr
    return root, old, new, base


def check_consistent(data_dir: Path, old: dict[str, Article], new: dict[str, Article]) -> int:
    """Every document is exactly one version: its text, and its chunks (offsets, texts, one
    vector each) are what the chunker makes of that version. Returns how many are new."""
    chunker = Chunker(max_tokens=Settings().chunk_tokens, overlap_tokens=Settings().chunk_overlap_tokens)
    con = sqlite3.connect(f"file:{data_dir / 'rag.sqlite3'}?mode=ro", uri=True)
    try:
        dim_bytes = {len(v) for (v,) in con.execute("SELECT vector FROM chunks")}
        assert len(dim_bytes) == 1, "vectors of mixed sizes"
        updated = 0
        for doc_id in old:
            (text,) = con.execute("SELECT text FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
            version = new[doc_id] if text == new[doc_id].text else old[doc_id]
            assert text == version.text, f"{doc_id}: text matches neither version"
            stored = con.execute(
                "SELECT ordinal, start_char, end_char, text FROM chunks WHERE doc_id = ? ORDER BY ordinal", (doc_id,)
            ).fetchall()
            expected = [(c.ordinal, c.start, c.end, c.text) for c in chunker.chunk(version)]
            assert stored == expected, f"{doc_id}: chunks are not those of one version"
            updated += version is new[doc_id]
        (count,) = con.execute("SELECT COUNT(*) FROM documents").fetchone()
        assert count == len(old)
    finally:
        con.close()
    return updated


def check_answers(data_dir: Path) -> None:
    """The index loads (SQLite + FAISS, repaired from the database if the snapshot lags) and
    the whole pipeline answers from it with citations that point into the stored text."""
    services = Services(Settings(data_dir=data_dir))
    try:
        docs, chunks = services.store.counts()
        assert len(services.vectors) == chunks and docs == DOCS
        answer = services.pipeline.ask("What was discussed by the residents of Corvin 2?")
        assert answer.passages
        for p in answer.passages:
            assert services.store.document(p.doc_id).text[p.start : p.end] == p.text
    finally:
        services.store.close()


def kill_ingest(data_dir: Path, corpus: Path, commits_before_kill: int | None, delay: float = 0.0, options: tuple[str, ...] = ()) -> int:
    """Start `rag ingest` (with `options`, e.g. `--ray local`), SIGKILL it once the store has
    `commits_before_kill` more commits (None: after `delay` seconds, during start-up). Returns the commits it got in."""
    db = data_dir / "rag.sqlite3"
    start = generation(db)
    proc = subprocess.Popen(
        [str(RAG), "ingest", "-q", *options, str(corpus)],
        env=rag_env(data_dir, ingest_batch_docs=str(BATCH)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        if commits_before_kill is None:
            time.sleep(delay)
        else:
            while generation(db) - start < commits_before_kill:
                assert proc.poll() is None, "ingest finished before the kill point"
                assert time.monotonic() < deadline, "ingest made no progress"
                time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    return generation(db) - start


@pytest.mark.parametrize(
    "commits,delay",
    [(None, 1.0), (3, 0.0), (DOCS // BATCH, 0.0)],
    ids=["during-start-up", "after-3-batches", "after-last-batch"],
)
def test_kill_9_during_ingest_leaves_each_document_old_or_new(corpora, tmp_path, commits, delay):
    root, old, new, base = corpora
    data_dir = tmp_path / "data"
    shutil.copytree(base, data_dir)

    got_in = kill_ingest(data_dir, root / "v2", commits, delay)

    updated = check_consistent(data_dir, old, new)
    assert updated % BATCH == 0, "a batch is one transaction: all of it or none of it"
    if commits is not None:
        assert updated >= commits * BATCH
    assert updated == min(got_in, DOCS // BATCH) * BATCH
    check_answers(data_dir)

    orphan = data_dir / f"vectors-00000001.tmp{2**30}"  # what a writer killed mid-snapshot leaves (no such pid)
    orphan.write_bytes(b"half a faiss file")
    rerun = run_ingest(data_dir, root / "v2")
    assert rerun.returncode == 0, rerun.stderr
    assert not orphan.exists(), "the rerun removes a dead writer's temp file"
    assert f"{DOCS - updated} replaced, {updated} unchanged" in rerun.stdout
    assert check_consistent(data_dir, old, new) == DOCS
    assert snapshot_path(data_dir, generation(data_dir / "rag.sqlite3")).exists(), "the rerun leaves a current snapshot"
    check_answers(data_dir)


NEWS = {
    "harbour-1": "title: Quillon harbour opens\ndate: 2025-10-01\n\nThe Quillon deep-water harbour was opened by "
    "harbourmaster Odalys Wrenfield on Tuesday after six years of construction.\n",
    "harbour-2": "title: Quillon ferries\ndate: 2025-10-02\n\nFerries from the Quillon harbour will sail to "
    "Marrowby twice a day, the operator said in a notice headed <script>alert('ferry')</script> on its site.\n",
}


def test_server_answers_during_an_ingest_and_then_serves_the_new_documents(seed_settings, tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(seed_settings.data_dir, data_dir)
    corpus = tmp_path / "news"
    corpus.mkdir()
    for name, text in NEWS.items():
        (corpus / f"{name}.txt").write_text(text)

    with running_server(seed_settings.model_copy(update={"data_dir": data_dir})) as url:
        before = httpx.get(f"{url}/readyz").json()
        statuses: list[int] = []
        stop = threading.Event()

        def traffic() -> None:
            with httpx.Client(base_url=url, timeout=60) as client:
                for _ in range(500):  # bounded; stops as soon as the ingest is over
                    if stop.is_set():
                        return
                    statuses.append(client.post("/v1/ask", json={"question": "Who is the French President?"}).status_code)
                    statuses.append(client.get("/v1/documents").status_code)

        worker = threading.Thread(target=traffic)
        worker.start()
        try:
            ingest = run_ingest(data_dir, corpus)
        finally:
            stop.set()
            worker.join(120)
        assert ingest.returncode == 0, ingest.stderr
        assert statuses and set(statuses) == {200}, statuses

        answer = httpx.post(f"{url}/v1/ask", json={"question": "Who opened the Quillon harbour?"}, timeout=60).json()
        assert {p["doc_id"] for p in answer["passages"]} >= {"harbour-1"}
        # markup in an article is data: the JSON API returns it verbatim (the page and Slack escape it)
        r = httpx.post(f"{url}/v1/ask", json={"question": "Where will the Quillon ferries sail?"}, timeout=60)
        assert r.headers["content-type"] == "application/json"
        assert any("<script>alert('ferry')</script>" in p["text"] for p in r.json()["passages"])
        after = httpx.get(f"{url}/readyz").json()
        assert after["generation"] > before["generation"]
        assert after["documents"] == before["documents"] + 2
        assert after["vectors"] == after["chunks"]
