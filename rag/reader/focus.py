"""Read fewer tokens: the part of a passage around the sentences that best match the question.

The reader's cost grows with the tokens it reads, and the answer to a question is nearly always
in or beside the sentence that shares most of its words. So a passage longer than a token budget
is cut to that sentence and its neighbours, grown outwards while the budget allows, and read as
one window instead of several. bench/levers.py measures what each budget costs in F1.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from index.sentences import sentence_spans

_WORD = re.compile(r"\w+")
# words every question has: matching on them would centre the window on any sentence at all
_STOP = frozenset(
    "the a an of in on at to for by with from and or is are was were be been did do does what which who whom "
    "whose when where why how that this these those it its as than into about after before during has have had "
    "not no many much".split()
)


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def focus_span(question: str, context: str, budget: int, count_tokens: Callable[[str], int]) -> tuple[int, int]:
    """(start, end) characters of `context` to read: all of it when it fits `budget` tokens
    (`count_tokens(text) -> int`), else the best-matching sentence grown by whole neighbouring
    sentences, the better-matching side first, while the budget allows."""
    if count_tokens(context) <= budget:
        return 0, len(context)
    spans = sentence_spans(context)
    if len(spans) < 2:
        return 0, len(context)
    asked = _words(question)
    overlap = [len(asked & _words(context[s:e])) for s, e in spans]
    best = max(range(len(spans)), key=lambda i: (overlap[i], -i))
    lo = hi = best
    used = count_tokens(context[spans[best][0] : spans[best][1]])
    while True:
        sides = [i for i in (lo - 1, hi + 1) if 0 <= i < len(spans)]
        if not sides:
            break
        nxt = max(sides, key=lambda i: (overlap[i], -abs(i - best), -i))
        cost = count_tokens(context[spans[nxt][0] : spans[nxt][1]])
        if used + cost > budget:
            break
        used += cost
        lo, hi = min(lo, nxt), max(hi, nxt)
    return spans[lo][0], spans[hi][1]
