"""`rag ingest --ray local` on a real local Ray cluster (this machine only, started and stopped by
the command) builds the same index as the plain ingest of the same files: same documents, chunk
ids, offsets and texts, vectors within 1e-5, a FAISS snapshot at the store's generation that
searches alike; a broken file is reported by name and skipped in both. Killed with SIGKILL
mid-way, it leaves each document wholly old or wholly new, as the plain ingest does.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
from pathlib import Path

import numpy as np
import pytest

from bench.corpus import generate_articles, sentence_pool, write_jsonl
from index.vectors import index_ids, latest_snapshot, read_snapshot
from rag.service import Services
from rag.settings import Settings
from tests.integration.test_reliability_ingest import BATCH, DOCS, check_answers, check_consistent, corpora, kill_ingest, run_ingest  # noqa: F401
from tests.processes import descendants, wait_for
from tests.serve_process import RAG, rag_env
from tests.support import SEEDS_DIR

GENERATED = 300
FILES = 6  # the generated articles are spread over several files, so parsing runs as several tasks


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    for path in SEEDS_DIR.glob("*.txt"):
        shutil.copy(path, folder)
    records = generate_articles(GENERATED, sentence_pool())
    for n in range(FILES):
        write_jsonl(records[n::FILES], folder / f"generated-{n}.jsonl")
    (folder / "broken.json").write_text('{"title": "cut off mid-')
    return folder


def _rows(db: Path, query: str) -> list[tuple]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def plain_dir(corpus, tmp_path_factory) -> Path:
    """The plain ingest of the corpus: what every Ray ingest must equal."""
    data_dir = tmp_path_factory.mktemp("plain")
    services = Services(Settings(data_dir=data_dir))
    report = services.ingestor.ingest_paths([corpus])
    assert [Path(path).name for path, _ in report.failed] == ["broken.json"]
    services.store.close()
    return data_dir


def assert_same_index(ray_dir: Path, plain_dir: Path) -> None:
    ray_db, plain_db = ray_dir / "rag.sqlite3", plain_dir / "rag.sqlite3"
    documents = "SELECT doc_id, title, date, source, path, sha256, text FROM documents ORDER BY doc_id"
    assert len(_rows(ray_db, documents)) == GENERATED + 5
    assert _rows(ray_db, documents) == _rows(plain_db, documents)
    chunks = "SELECT chunk_id, doc_id, ordinal, start_char, end_char, tokens, text FROM chunks ORDER BY chunk_id"
    assert _rows(ray_db, chunks) == _rows(plain_db, chunks)
    vectors = "SELECT vector FROM chunks ORDER BY chunk_id"
    ray_vectors = np.stack([np.frombuffer(v, np.float32) for (v,) in _rows(ray_db, vectors)])
    plain_vectors = np.stack([np.frombuffer(v, np.float32) for (v,) in _rows(plain_db, vectors)])
    assert np.abs(ray_vectors - plain_vectors).max() <= 1e-5
    generation = "SELECT value FROM meta WHERE key = 'generation'"
    assert _rows(ray_db, generation) == _rows(plain_db, generation)

    # the snapshot `rag serve` loads: at the store's generation, the same ids, the same neighbours
    snapshot_generation, snapshot = latest_snapshot(ray_dir)
    assert snapshot_generation == int(_rows(ray_db, generation)[0][0])
    ray_index, plain_index = read_snapshot(snapshot), read_snapshot(latest_snapshot(plain_dir)[1])
    assert np.array_equal(np.sort(index_ids(ray_index)), np.sort(index_ids(plain_index)))
    queries = plain_vectors[:: len(plain_vectors) // 20]
    assert np.array_equal(ray_index.search(queries, 5)[1], plain_index.search(queries, 5)[1])
    served = Services(Settings(data_dir=ray_dir)).vectors  # what `rag serve` loads
    assert served.generation == snapshot_generation and len(served) == len(ray_vectors)


def test_ray_ingest_builds_the_same_index_as_the_plain_ingest(corpus, plain_dir, tmp_path):
    ray_dir = tmp_path / "ray"
    done = subprocess.run(
        [str(RAG), "ingest", "-q", "--ray", "local", str(corpus)], env=rag_env(ray_dir), capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 1, done.stderr  # 1: a file was skipped, as with the plain ingest
    assert "broken.json" in done.stderr
    summary = done.stdout.strip().splitlines()[-1]
    assert summary.startswith(f"{len(list(corpus.iterdir()))} files, ") and "chunks/s" in summary, summary
    assert_same_index(ray_dir, plain_dir)


def test_an_embedding_actor_killed_mid_ingest_is_restarted_and_nothing_is_lost(corpus, plain_dir, tmp_path):
    """SIGKILL one of the embedding actors' processes as soon as it exists: Ray restarts it and
    retries its batches; the index is still exactly the plain one."""
    ray_dir = tmp_path / "ray"
    proc = subprocess.Popen(
        [str(RAG), "ingest", "-q", "--ray", "local", str(corpus)],
        env=rag_env(ray_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def embedding_actors() -> list[int]:
        assert proc.poll() is None, "the ingest ended before an actor could be killed"
        return sorted(pid for pid, cmdline in descendants(proc.pid).items() if cmdline.startswith("ray::MapWorker"))

    try:
        os.kill(wait_for(embedding_actors, 300, "no embedding actor started")[0], signal.SIGKILL)
        out, err = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 1, err  # the broken file, nothing else
    assert_same_index(ray_dir, plain_dir)


def test_kill_9_during_a_ray_ingest_leaves_each_document_old_or_new(corpora, tmp_path):
    """The Ray ingest commits through the plain ingest's transactions: the same guarantee, checked
    the same way (tests/integration/test_reliability_ingest.py), with the kill after 3 of 8 batches."""
    root, old, new, base = corpora
    data_dir = tmp_path / "data"
    shutil.copytree(base, data_dir)

    got_in = kill_ingest(data_dir, root / "v2", 3, options=("--ray", "local"))

    updated = check_consistent(data_dir, old, new)
    assert updated % BATCH == 0 and updated == min(got_in, DOCS // BATCH) * BATCH
    check_answers(data_dir)
    rerun = run_ingest(data_dir, root / "v2")
    assert rerun.returncode == 0, rerun.stderr
    assert f"{DOCS - updated} replaced, {updated} unchanged" in rerun.stdout
    assert check_consistent(data_dir, old, new) == DOCS
