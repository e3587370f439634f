"""The `rag` command as a user runs it: real subprocesses over a temporary data directory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.support import BEFORE_COSTA, COUNCIL, assert_nothing_after


def rag(*args: str, data_dir, check: bool = False, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "RAG_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", **(env or {})}
    out = subprocess.run([sys.executable, "-m", "cli.main", *args], env=env, capture_output=True, text=True, timeout=300)
    if check:
        assert out.returncode == 0, out.stderr
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, seeds_dir):
    folder = tmp_path_factory.mktemp("corpus")
    for f in seeds_dir.iterdir():
        shutil.copy(f, folder / f.name)
    return folder


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory, corpus):
    data = tmp_path_factory.mktemp("data")
    out = rag("ingest", str(corpus), data_dir=data, check=True)
    assert "5 added" in out.stdout
    return data


def test_ask_prints_answer_and_json(data_dir):
    out = rag("ask", "Who is the French President?", data_dir=data_dir, check=True)
    assert "Emmanuel Macron" in out.stdout and "[1]" in out.stdout
    body = json.loads(rag("ask", "Who is the French President?", "--json", data_dir=data_dir, check=True).stdout)
    assert "Emmanuel Macron" in body["answer"] and body["citations"]


def test_the_band_leads_the_reply_and_a_filter_that_leaves_nothing_is_named(data_dir):
    assert rag("ask", "Who is the French President?", data_dir=data_dir, check=True).stdout.startswith("Answer: ")
    out = rag("ask", "Who is the French President?", "--source", "AFP", data_dir=data_dir, check=True)
    assert out.stdout.startswith("Not found\n")
    assert "no article from source AFP" in out.stdout and "corpus is empty" not in out.stdout


def test_reingest_replaces_a_changed_file_and_delete_removes(tmp_path, corpus, data_dir):
    data = tmp_path / "data"
    shutil.copytree(data_dir, data)
    changed = corpus.parent / "changed"
    changed.mkdir(exist_ok=True)
    doc = changed / "004_c45d8345549db2a3.txt"
    doc.write_text("The video conference brought together French President Jean Dupont and others.\n")
    out = rag("ingest", str(doc), data_dir=data, check=True)
    assert "1 replaced" in out.stdout
    body = json.loads(rag("ask", "Who is the French President?", "--json", "--doc-id", doc.stem, data_dir=data, check=True).stdout)
    assert body["answer"] and "Dupont" in body["answer"]
    assert rag("delete", doc.stem, data_dir=data, check=True).returncode == 0
    assert doc.stem not in rag("docs", data_dir=data, check=True).stdout
    missing = rag("delete", doc.stem, data_dir=data)
    assert missing.returncode == 2 and "no document" in missing.stderr


def test_bad_input_is_a_clear_error_and_leaves_the_index_alone(tmp_path, data_dir):
    before = rag("docs", data_dir=data_dir, check=True).stdout
    out = rag("ingest", str(tmp_path / "nope"), data_dir=data_dir)
    assert out.returncode == 2 and "no such file" in out.stderr and "Traceback" not in out.stderr
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("café crème".encode("latin-1"))
    empty = tmp_path / "empty.md"
    empty.write_text("")
    out = rag("ingest", str(bad), str(empty), data_dir=data_dir)
    assert out.returncode == 1 and "not UTF-8" in out.stderr and "empty" in out.stderr
    assert rag("docs", data_dir=data_dir, check=True).stdout == before
    for question in ("", "   ", "x" * 2001):
        out = rag("ask", question, data_dir=data_dir)
        assert out.returncode == 2 and "question" in out.stderr and "Traceback" not in out.stderr
    out = rag("ask", "Who?", "--since", "yesterday", data_dir=data_dir)
    assert out.returncode == 2 and "not a date" in out.stderr


def test_ask_as_of_a_day(data_dir):
    then = json.loads(rag("ask", COUNCIL, "--as-of", BEFORE_COSTA, "--json", data_dir=data_dir, check=True).stdout)
    assert "Michel" in then["answer"], then["message"]
    assert_nothing_after(then, BEFORE_COSTA)


def test_delete_takes_several_ids_and_deletes_none_when_one_is_wrong(tmp_path, data_dir, seeds_dir):
    data = tmp_path / "data"
    shutil.copytree(data_dir, data)
    first, second, third = sorted(f.stem for f in seeds_dir.iterdir())[:3]
    missing = rag("delete", first, "no-such-doc", data_dir=data)
    assert missing.returncode == 2 and "no-such-doc" in missing.stderr
    assert first in rag("docs", data_dir=data, check=True).stdout
    out = rag("delete", first, second, data_dir=data, check=True)
    assert f"deleted {first}" in out.stdout and f"deleted {second}" in out.stdout
    listed = rag("docs", data_dir=data, check=True).stdout
    assert first not in listed and second not in listed and third in listed
    body = json.loads(rag("ask", "Who is the French President?", "--json", "--local", data_dir=data, check=True).stdout)
    assert all(c["doc_id"] not in (first, second) for c in body["citations"])


def test_ask_goes_through_a_running_server_of_the_same_index(tmp_path, data_dir):
    """With a server up, `rag ask` answers through it: here the shell's own data directory is empty,
    so an answer can only have come from the server. A server at the default address that serves
    another index is not used."""
    from rag.settings import Settings
    from tests.support import running_server

    settings = Settings(data_dir=data_dir)
    empty = tmp_path / "empty"
    empty.mkdir()
    with running_server(settings) as url:
        out = rag("ask", "Who is the French President?", "--json", data_dir=empty, check=True, env={"RAG_SERVER_URL": url})
        assert "Emmanuel Macron" in json.loads(out.stdout)["answer"]
        port = url.rsplit(":", 1)[1]
        asked = _answers_served(url)
        same = rag("ask", "Who is the French President?", data_dir=data_dir, check=True, env={"RAG_PORT": port})
        assert "Emmanuel Macron" in same.stdout and _answers_served(url) == asked + 1
        other = rag("ask", "Who is the French President?", data_dir=empty, check=True, env={"RAG_PORT": port})
        assert "Emmanuel Macron" not in other.stdout and _answers_served(url) == asked + 1


def _answers_served(url: str) -> float:
    """Questions the server has answered, from its Prometheus counter."""
    import httpx

    metrics = httpx.get(f"{url}/metrics", timeout=10).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines() if line.startswith("rag_answers_total{"))
