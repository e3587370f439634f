"""Token-measured, sentence-aligned chunks, and tiktoken working with no network."""

from __future__ import annotations

import os
import subprocess
import sys

from index.chunk import Chunker
from index.parse import parse_file
from index.tokens import get_encoding
from index.types import Article


def test_tiktoken_loads_offline_in_a_fresh_process(tmp_path):
    """A new cache folder and no network route: the packaged BPE file must be used."""
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network disabled in this test')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from index.tokens import get_encoding\n"
        "print(get_encoding('cl100k_base').encode('Ursula von der Leyen'))\n"
    )
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(tmp_path / "cache")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(get_encoding("cl100k_base").encode("Ursula von der Leyen"))
    assert any((tmp_path / "cache").iterdir())


def test_chunks_have_exact_offsets_and_fit_the_budget(seeds_dir):
    chunker = Chunker(max_tokens=80, overlap_tokens=20)
    for path in sorted(seeds_dir.iterdir()):
        [article] = parse_file(path)
        chunks = chunker.chunk(article)
        assert chunks, path
        for c in chunks:
            assert article.text[c.start : c.end] == c.text
            assert c.tokens <= 80
            assert chunker.count_tokens(c.text) <= 80 + 8  # joining whitespace may add a token per sentence
        assert [c.ordinal for c in chunks] == list(range(len(chunks)))
        starts = [c.start for c in chunks]
        assert starts == sorted(starts)


def test_chunks_cut_on_sentences_and_overlap():
    text = " ".join(f"Sentence number {i} talks about topic {i}." for i in range(40))
    chunks = Chunker(max_tokens=40, overlap_tokens=12).chunk(Article("d", "t", text))
    assert len(chunks) > 3
    for c in chunks:
        assert c.text.startswith("Sentence number") and c.text.endswith(".")
    for a, b in zip(chunks, chunks[1:]):
        assert b.start < a.end, "consecutive chunks share at least one sentence"


def test_every_sentence_is_in_some_chunk():
    text = "\n".join(f"Line {i} has a fact: value {i * 7}." for i in range(60))
    chunks = Chunker(max_tokens=50, overlap_tokens=10).chunk(Article("d", "t", text))
    for i in range(60):
        assert any(f"value {i * 7}." in c.text for c in chunks)


def test_a_sentence_longer_than_a_chunk_is_split_at_token_boundaries():
    text = "word " * 500 + "end."
    chunker = Chunker(max_tokens=64, overlap_tokens=0)
    chunks = chunker.chunk(Article("d", "t", text))
    assert len(chunks) >= 7
    assert all(c.tokens <= 64 for c in chunks)
    assert "".join(text[c.start : c.end] for c in chunks).replace(" ", "") == text.replace(" ", "")


def test_header_lines_are_not_chunked(tmp_path):
    """Metadata is not prose: a reader that saw "date 2025-09-09" answered "when" questions with it."""
    f = tmp_path / "story.txt"
    f.write_text("title: Harbour opens\ndate: 2025-10-01\n\nThe harbour opened on Monday. Ferries sail daily.\n")
    [article] = parse_file(f)
    chunks = Chunker(max_tokens=40, overlap_tokens=0).chunk(article)
    assert [c.text for c in chunks] == ["The harbour opened on Monday. Ferries sail daily."]
    assert all(article.text[c.start : c.end] == c.text for c in chunks)
