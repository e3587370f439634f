"""Whether a newer answer replaces an older one: only for the same question about the same
subject and role.

"Who is the harbourmaster?" over two articles, an older one naming the harbourmaster and a
newer one naming the port authority chief, has two candidates that answer two different
questions. Letting the newer article win near-ties made the port authority chief the
harbourmaster and listed the real one as "earlier". Recency belongs in retrieval as a prior
(rag/timeprior.py); here it decides only between two claims that are about the same thing:
the older says "X is the President of the European Council", the newer says "Y is the
President of the European Council", and then the newer is the answer and the older is history.

"About the same thing" is read from the words of the question that each claim's own sentence
repeats: the newer claim must repeat every one that the older claim's sentence does. The
port authority chief's sentence does not say "harbourmaster", so it cannot replace the
harbourmaster. Pure functions over text and dates, so the decision is tested without a model.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_WORD = re.compile(r"[a-z0-9]+")
# words every question has; they say nothing about which subject or role it is about
_FUNCTION_WORDS = frozenset(
    "a an the of in on at to for from by with about as and or is are was were be been being has have had do does did "
    "who whom whose what which when where why how this that these those it its his her their there new now current "
    "currently latest recently recent today week month year name named".split()
)


@dataclass(frozen=True)
class Claim:
    """One candidate answer with the sentence it was read from and its evidence's date."""

    answer: str
    sentence: str
    date: dt.date | None


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def _words(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.lower())}


def subject_words(question: str, claim: Claim) -> frozenset[str]:
    """The question's own content words that the claim's sentence repeats (outside its answer)."""
    asked = _words(question) - _FUNCTION_WORDS
    return frozenset(asked & (_words(claim.sentence) - _words(claim.answer)))


def supersedes(question: str, newer: Claim, older: Claim) -> bool:
    """True when `newer` replaces `older` as the answer (and `older` becomes an earlier answer):
    both dated, the newer strictly later, and the newer's sentence is about everything the
    older's is about (same subject, same role). Undated claims cannot be placed in time."""
    if newer.date is None or older.date is None or newer.date <= older.date:
        return False
    older_subject = subject_words(question, older)
    return bool(older_subject) and older_subject <= subject_words(question, newer)
