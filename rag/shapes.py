"""Question shapes, detected once: what kind of reply a question wants, and the text that gives it.

The reader answers "who/what/when" with one short span. People also ask for lists ("Which
countries…?"), for a verdict ("Has the US…?") and for a reason ("Why…?"), and a short span
answers none of them: "US allies", "only", "to be successful". The shape changes what the
answer policy collects from the same reader output, never which reader runs:

- a **list** takes every span the passages give (the reader's n-best, each enumeration split
  into its items), each item cited on its own;
- a **yes/no** or a **why/how** question takes the sentence that holds the reader's span: the
  deciding sentence, or the one giving the reason. No "Yes"/"No" is made up from it;
- an **amount** question ("How much…", "How many…") is only answered by a span that holds a
  number: the reader is often sure of a well-typed noun where the amount is not given at all
  ("How much will the route cost?" → "the new terminals");
- a **future when** question ("When will…", "When is … expected…") is not answered by a span that
  names only years before its report's date: what will happen after a report cannot have happened
  in an earlier year, yet the reader is sure of any year near the topic ("When will the museum
  reopen?" → "1998", the year it opened, at 0.91).

Everything here is pure text: rules on the first words of the question's asking sentence, and on
sentence and enumeration boundaries in the passage (index/sentences.py, the same sentences chunks are cut on).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from index.sentences import sentence_spans


class Shape(StrEnum):
    FACT = "fact"
    LIST = "list"
    YES_NO = "yes_no"
    REASON = "reason"


_AUXILIARIES = (
    "is are was were am do does did has have had can could will would should shall may might must isn't "
    "aren't wasn't weren't doesn't don't didn't hasn't haven't hadn't can't couldn't won't wouldn't "
    "shouldn't"
).split()
_REASON_OPENINGS = ("why", "how come", "for what reason", "what is the reason", "what was the reason", "what caused")
# the plural nouns a list question asks for: items that are names (capitalised) or any phrase
_NAMED_KINDS = frozenset(
    "people persons leaders officials ministers presidents members participants countries nations states "
    "governments allies organisations organizations companies firms banks institutions agencies groups "
    "outlets newspapers cities regions partners envoys delegates attendees councillors councilors "
    "senators lawmakers judges players candidates executives directors speakers victims".split()
)
_PHRASE_KINDS = frozenset(["measures", "sanctions", "steps", "actions", "options", "proposals", "tariffs", "products", "sectors", "goods"])
_WHO_LIST = re.compile(r"^(?:who\s+(?:are|were)\b|list\b|name\s+(?:the|all|every)\b)")


def _words(question: str) -> list[str]:
    """The words of the sentence that asks: a question may first set the scene ("A storm closed
    the port on Monday. Which town council paid for the repairs?"), and its shape is that of its
    last sentence ending in "?" (or of its last sentence, when none does)."""
    sentences = [question[a:b] for a, b in sentence_spans(question)] or [question]
    asking = next((t for t in reversed(sentences) if t.endswith("?")), sentences[-1])
    return [w.strip("'") for w in re.findall(r"[\w']+", asking.lower().replace("’", "'"))]


def question_shape(question: str) -> Shape:
    """The shape of a question, from its opening words: the forms newsroom questions take."""
    words = _words(question)
    text = " ".join(words)
    if not words:
        return Shape.FACT
    if text.startswith(_REASON_OPENINGS) or (words[0] == "how" and len(words) > 1 and words[1] in _AUXILIARIES):
        return Shape.REASON
    if words[0] in _AUXILIARIES:
        # "Did it rise or fall?" asks to choose, not for a verdict
        return Shape.FACT if "or" in words else Shape.YES_NO
    if _WHO_LIST.match(text) or list_kind(question) is not None:
        return Shape.LIST
    return Shape.FACT


def list_kind(question: str) -> str | None:
    """The plural noun a "Which countries…" / "What measures…" question asks for (within its
    first three words after which/what), or None."""
    words = _words(question)
    if not words or words[0] not in ("which", "what"):
        return None
    return next((w for w in words[1:4] if w in _NAMED_KINDS or w in _PHRASE_KINDS), None)


def wants_names(question: str) -> bool:
    """Whether a list question's items are names (people, countries, organisations): capitalised."""
    kind = list_kind(question)
    return kind in _NAMED_KINDS if kind else bool(_WHO_LIST.match(" ".join(_words(question))))


_AMOUNT_QUESTION = re.compile(
    r"^(?:how\s+(?:much|many|long|old|far|big|large|high|tall|deep|heavy)|what\s+(?:percentage|share|proportion|fraction))\b"
)
_AMOUNT = re.compile(
    r"\d|%|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|"
    r"sixty|seventy|eighty|ninety|hundreds?|thousands?|millions?|billions?|trillions?|dozens?|half|third|quarter|"
    r"twice|double|triple)\b",
    re.IGNORECASE,
)


def expects_amount(question: str) -> bool:
    """ "How much / how many / how long…" asks for an amount: a span with no number is no answer to it."""
    return bool(_AMOUNT_QUESTION.match(" ".join(_words(question))))


def states_amount(text: str) -> bool:
    """Whether a span holds a number, in digits or words ("under two hours", "14 million euros")."""
    return bool(_AMOUNT.search(text))


_FUTURE_WHEN = re.compile(r"^when\s+(?:will|shall)\b|^when\s+(?:is|are)\b.*\b(?:expected|due|scheduled|planned|set\s+to|going\s+to)\b")
_YEAR = re.compile(r"\b((?:19|20)\d\d)\b")


def asks_future_time(question: str) -> bool:
    """ "When will / when shall…", "When is … expected / due / going to…": a time after the report."""
    return bool(_FUTURE_WHEN.match(" ".join(_words(question))))


def names_only_earlier_years(text: str, report_date: dt.date | None) -> bool:
    """Whether every year the span names is before the year of its report: such a span is a past
    time, no answer to a question about what will happen. A span naming no year ("in June", "next
    week"), or one from an undated report, cannot be placed and is kept."""
    years = [int(y) for y in _YEAR.findall(text)]
    return bool(years) and report_date is not None and max(years) < report_date.year


@dataclass(frozen=True)
class TextSpan:
    """Character offsets into one passage."""

    start: int
    end: int


def sentence_around(text: str, start: int, end: int) -> TextSpan:
    """The sentence(s) of `text` that hold [start, end): the deciding sentence of a yes/no question,
    the one giving the reason for a why/how question."""
    spans = sentence_spans(text)
    lo = next((s for s, e in spans if s <= start < e), start)
    hi = next((e for s, e in spans if s < end <= e), end)
    return TextSpan(lo, hi)


_SEPARATOR = re.compile(r",\s+and\s+|,\s+or\s+|;\s+|,\s+|\s+and\s+|\s+or\s+")
_MAX_ITEM_WORDS = 6
_NAME_LINKS = {"of", "the", "von", "der", "de", "la", "du", "van", "al", "bin", "and", "for", "’s", "'s"}
_EDGE_PUNCTUATION = ' \t\n.,;:!?"“”‘’«»()[]'


def _trim(text: str, start: int, end: int) -> TextSpan:
    while start < end and text[start] in _EDGE_PUNCTUATION:
        start += 1
    while end > start and text[end - 1] in _EDGE_PUNCTUATION:
        end -= 1
    return TextSpan(start, end)


def _name_prefix(text: str, start: int, end: int) -> TextSpan:
    """The leading run of capitalised words (and the links inside names: "of", "von der")."""
    stop = start
    for match in re.finditer(r"\S+", text[start:end]):
        word = match.group().strip(_EDGE_PUNCTUATION)
        if not word or not (word[0].isupper() or word[0].isdigit() or word.lower() in _NAME_LINKS):
            break
        stop = start + match.end()
    return _trim(text, start, stop)


def enumeration_items(text: str, start: int, end: int, names: bool) -> list[TextSpan]:
    """The items of the enumeration the span [start, end) of `text` belongs to, in order.

    The span itself is split on list separators (", ", " and ", "; "); when it ends where the
    sentence goes on with another separator (the reader cuts a long list at its span length),
    the following short segments of the same sentence are taken too. With `names`, each item is
    cut to its leading capitalised words and items that are not names are dropped."""
    sentence = sentence_around(text, start, end)
    pieces: list[TextSpan] = []
    cursor = start
    for match in _SEPARATOR.finditer(text, start, end):
        pieces.append(TextSpan(cursor, match.start()))
        cursor = match.end()
    pieces.append(TextSpan(cursor, end))
    # the sentence goes on with the same list after the span
    tail = end
    while True:
        sep = _SEPARATOR.match(text, tail, sentence.end)
        if not sep:
            break
        nxt = _SEPARATOR.search(text, sep.end(), sentence.end)
        seg_end = nxt.start() if nxt else sentence.end
        segment = _trim(text, sep.end(), seg_end)
        if segment.end <= segment.start or len(text[segment.start : segment.end].split()) > _MAX_ITEM_WORDS:
            break
        pieces.append(segment)
        tail = seg_end
    items = []
    for piece in pieces:
        whole = _trim(text, piece.start, piece.end)
        item = _name_prefix(text, piece.start, piece.end) if names else whole
        # a name cut short inside the span is a phrase ("US allies"), not a name; after the span
        # the sentence's own words may follow the last item ("… and Japan's Fumio Kishida met")
        cut_inside_span = names and item != whole and piece.end <= end
        if item.end > item.start and not cut_inside_span and (not names or text[item.start].isupper() or text[item.start].isdigit()):
            items.append(item)
    return items
