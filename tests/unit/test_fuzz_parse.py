"""Hypothesis against the article parser and the chunker: any bytes a user's folder may hold
either parse or raise ParseError (the one error ingest reports and skips); chunk offsets are
always exact, ordered and cover every non-space character of the article."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.chunk import Chunker
from index.parse import SUPPORTED_SUFFIXES, ParseError, parse_file
from index.types import Article

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

suffixes = st.sampled_from(sorted(SUPPORTED_SUFFIXES))
texts = st.text(st.characters(codec="utf-8"), max_size=3000)  # any unicode, incl. controls and lone combining marks
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["text", "body", "id", "doc_id", "title", "date", "source", "x"]) | texts, inner, max_size=5)
    ),
    max_leaves=12,
)
contents = st.one_of(
    st.binary(max_size=4000),
    texts.map(str.encode),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.lists(json_values.map(json.dumps), max_size=5).map(lambda lines: "\n".join(lines).encode()),
    st.tuples(st.sampled_from(["", "title: ", "date 2025-13-45 ", "<html><title>", "# "]), texts).map(lambda p: "".join(p).encode()),
)


def parse_bytes(data: bytes, suffix: str) -> list[Article] | None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"doc{suffix}"
        path.write_bytes(data)
        try:
            return parse_file(path)
        except ParseError:
            return None


@FUZZ
@given(contents, suffixes)
def test_any_file_parses_or_is_a_parse_error(data, suffix):
    articles = parse_bytes(data, suffix)
    for article in articles or ():
        assert article.text.strip() and article.doc_id
        assert len(article.title) <= 121


def test_a_huge_file_parses():
    sentence = "The harbour of Quillon reopened after six years of building work. "
    [article] = parse_bytes((sentence * 40_000).encode(), ".txt")  # ~2.7 MB
    assert len(article.text) == len(sentence) * 40_000


def check_chunks(text: str, chunker: Chunker) -> None:
    chunks = chunker.chunk(Article(doc_id="d", title="t", text=text))
    covered = bytearray(len(text))
    for n, chunk in enumerate(chunks):
        assert chunk.ordinal == n
        assert 0 <= chunk.start < chunk.end <= len(text)
        assert chunk.text == text[chunk.start : chunk.end]
        covered[chunk.start : chunk.end] = b"\x01" * (chunk.end - chunk.start)
    for a, b in zip(chunks, chunks[1:]):
        assert a.start < b.start and a.end < b.end, "chunks go forward"
    missed = [i for i, ch in enumerate(text) if not ch.isspace() and not covered[i]]
    assert not missed, f"characters in no chunk: {[text[i] for i in missed[:10]]}"


CHUNKER = Chunker(max_tokens=24, overlap_tokens=6)  # small, so short texts make many chunks


@FUZZ
@given(texts)
def test_chunk_offsets_are_exact_ordered_and_cover_all_text(text):
    check_chunks(text, CHUNKER)


@FUZZ
@given(
    st.lists(
        st.sampled_from(
            ["Mr. Smith", " said", ".", "!", "?", "\n\n", " ", "…", "“Yes.”", "e.g.", "3.5", "U.S.", "日本語。", "🙂", "\u200b", "\u0301"]
        ),
        max_size=300,
    )
)
def test_chunks_of_sentence_like_text(parts):
    check_chunks("".join(parts), CHUNKER)


def test_chunks_of_one_huge_sentence():
    check_chunks("word " * 20_000 + "end", Chunker(max_tokens=160, overlap_tokens=32))
