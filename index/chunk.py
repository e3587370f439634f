"""Articles to token-sized, sentence-aligned, overlapping chunks with exact offsets.

Chunks are measured in tiktoken tokens and cut on sentence boundaries so that a chunk
fits both the embedding model's window (256 word pieces for MiniLM) and the reader's,
and the overlap keeps an answer that straddles a boundary whole in one chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

from index.sentences import sentence_spans
from index.tokens import get_encoding
from index.types import Article, Chunk


@dataclass(frozen=True)
class _Piece:
    start: int
    end: int
    tokens: int


class Chunker:
    """Packs whole sentences into chunks of at most `max_tokens`, repeating up to
    `overlap_tokens` of trailing sentences at the start of the next chunk."""

    def __init__(self, *, max_tokens: int, overlap_tokens: int, encoding: str = "cl100k_base") -> None:
        """No size defaults: they come from Settings (chunk_tokens, chunk_overlap_tokens)."""
        if max_tokens < 8:
            raise ValueError("max_tokens must be at least 8")
        if not 0 <= overlap_tokens < max_tokens:
            raise ValueError("overlap_tokens must be >= 0 and below max_tokens")
        self.max_tokens = max_tokens
        self.overlap_tokens = overlap_tokens
        self.encoding = get_encoding(encoding)
        self.recipe = f"{encoding}/{max_tokens}/{overlap_tokens}"

    def count_tokens(self, text: str) -> int:
        return len(self.encoding.encode_ordinary(text))

    def _pieces(self, text: str, begin: int) -> list[_Piece]:
        pieces = []
        for start, end in ((begin + s, begin + e) for s, e in sentence_spans(text[begin:])):
            tokens = self.encoding.encode_ordinary(text[start:end])
            if len(tokens) <= self.max_tokens:
                pieces.append(_Piece(start, end, len(tokens)))
                continue
            # a sentence longer than a chunk is cut at token boundaries
            _, offsets = self.encoding.decode_with_offsets(tokens)
            cuts = sorted({start + offsets[i] for i in range(0, len(tokens), self.max_tokens)} | {end})
            for s, e in zip(cuts, cuts[1:]):
                if e > s:
                    pieces.append(_Piece(s, e, min(self.max_tokens, len(self.encoding.encode_ordinary(text[s:e])))))
        return pieces

    def chunk(self, article: Article) -> list[Chunk]:
        text = article.text
        pieces = self._pieces(text, article.body_start)
        chunks: list[Chunk] = []
        i = 0
        while i < len(pieces):
            j, total = i, 0
            while j < len(pieces) and (j == i or total + pieces[j].tokens <= self.max_tokens):
                total += pieces[j].tokens
                j += 1
            start, end = pieces[i].start, pieces[j - 1].end
            chunks.append(Chunk(article.doc_id, len(chunks), start, end, text[start:end], total))
            if j == len(pieces):
                break
            k, overlap = j, 0
            while k - 1 > i and overlap + pieces[k - 1].tokens <= self.overlap_tokens:
                k -= 1
                overlap += pieces[k].tokens
            while k < j and overlap + pieces[j].tokens > self.max_tokens:  # found by fuzzing: an overlap that
                overlap -= pieces[k].tokens  # leaves no room for the next piece made a chunk inside this one
                k += 1
            i = k
        return chunks
