"""A missing or corrupt index: `rag serve` says in one line what is wrong and how to rebuild,
and exits non-zero (so a process manager shows the reason, not a traceback per restart); a
corrupt FAISS snapshot is only a cache and is rebuilt from the database."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.serve_process import RAG, ServeProcess, rag_env


def _garbage(db: Path) -> None:
    db.write_bytes(bytes(range(256)) * 64)


def _truncated(db: Path) -> None:
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])


def _missing(db: Path) -> None:
    db.unlink()


@pytest.fixture
def data_copy(seed_settings, tmp_path) -> Path:
    """A private copy of the seed index, checkpointed into the main file (no -wal beside it)."""
    import sqlite3

    data_dir = tmp_path / "data"
    shutil.copytree(seed_settings.data_dir, data_dir)
    con = sqlite3.connect(data_dir / "rag.sqlite3")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    for leftover in data_dir.glob("rag.sqlite3-*"):
        leftover.unlink()
    return data_dir


SERVE, DOCS = ["serve", "--port", "1"], ["docs"]


@pytest.mark.parametrize(
    "command,damage,says",
    [
        (SERVE, _missing, "no index at"),  # only serving insists on an index; `rag docs` lists an empty one
        (SERVE, _garbage, "is unreadable"),
        (SERVE, _truncated, "is unreadable"),
        (DOCS, _garbage, "is unreadable"),
        (DOCS, _truncated, "is unreadable"),
    ],
    ids=["serve-missing", "serve-garbage", "serve-truncated", "docs-garbage", "docs-truncated"],
)
def test_broken_database_is_one_clear_line_and_exit_1(data_copy, command, damage, says):
    damage(data_copy / "rag.sqlite3")
    done = subprocess.run([str(RAG), *command], env=rag_env(data_copy), capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("rag: ")]
    assert len(lines) == 1 and says in lines[0] and "rag ingest" in lines[0], done.stderr


def test_corrupt_snapshot_is_rebuilt_from_the_database(data_copy, tmp_path):
    for snapshot in data_copy.glob("vectors-*.faiss"):
        snapshot.write_bytes(b"not a faiss index")
    with ServeProcess(data_copy, tmp_path / "serve.log") as server:
        ready = httpx.get(f"{server.url}/readyz").json()
        assert ready["vectors"] == ready["chunks"] > 0
        r = httpx.post(f"{server.url}/v1/ask", json={"question": "Who is the French President?"}, timeout=60)
        assert r.status_code == 200 and r.json()["passages"]
        assert "is corrupt" in server.log() and "rebuilding" in server.log()
