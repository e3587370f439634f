"""Sentence boundaries with character offsets.

Chunks are cut on them, titles are taken from the first one, and answer snippets are
widened to them; one definition keeps all three consistent.
"""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s|$)|\n")
_NO_BREAK_BEFORE = re.compile(r"(?:\b[A-Z]\.|\b(?:Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|No|vs|etc|Gen|Gov|Sen|Rep|Lt|Col|Capt|Inc|Co|Corp)\.)$")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence or line, whitespace trimmed, in order."""
    spans: list[tuple[int, int]] = []
    begin = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.start() if match.group() == "\n" else match.end()
        if match.group() != "\n" and _NO_BREAK_BEFORE.search(text, max(0, end - 8), end):
            continue
        spans.append((begin, end))
        begin = match.end()
    spans.append((begin, len(text)))
    trimmed = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            trimmed.append((s, e))
    return trimmed
