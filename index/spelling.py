"""British and American spellings of a word, and compounds written as one word or two, so a
keyword search for one form finds the other.

News is written on both sides of the Atlantic and people ask in their own spelling: a
question about a "TV programme" must find the article that says "program", and BM25 (even
with FTS5's Porter stemmer: "programm" vs "program") treats them as different words. The
pairs come from breame's list of dual spellings, not from rules of our own ("-our"/"-or"
alone would turn "four" into "for").

Compounds are spelled both ways too, often within one article: a report wrote "videoconference"
in the sentence that says "key US allies" and "video conference" in the one naming the eight
leaders who took part, so a question in either spelling found only one of them.
"""

from __future__ import annotations

import re

from breame.spelling import get_american_spelling, get_british_spelling

WORD = re.compile(r"\w+", re.UNICODE)  # what keyword search and respelling count as a word
# the shortest half of a compound split or joined: "video|conference", "law|makers", "head|line";
# shorter halves ("a", "in", "to") would split "into" and "around" and join "in to" into "into"
COMPOUND_PART = 3


def spelling_variants(word: str) -> list[str]:
    """The word in lower case, then its other spellings, if any (each once)."""
    word = word.lower()
    return list(dict.fromkeys((word, get_american_spelling(word), get_british_spelling(word))))


def compound_splits(word: str) -> list[tuple[str, str]]:
    """Every way to read `word` (lower case) as two words of at least COMPOUND_PART letters:
    the phrases a keyword search also tries, of which the corpus holds at most one or two."""
    word = word.lower()
    if not word.isalpha():
        return []
    return [(word[:i], word[i:]) for i in range(COMPOUND_PART, len(word) - COMPOUND_PART + 1)]


def compound_pairs(words: list[str]) -> list[tuple[str, str]]:
    """The pairs of adjacent words (both alphabetic, of at least COMPOUND_PART letters) that may
    be one compound written as two, in lower case: ("video", "conference")."""
    return [
        (a.lower(), b.lower()) for a, b in zip(words, words[1:]) if a.isalpha() and b.isalpha() and min(len(a), len(b)) >= COMPOUND_PART
    ]


def in_spelling_of(text: str, passage: str) -> str:
    """`text` with each word the passage spells the other way spelled as the passage does.

    The reader matches a question's words against the passage's: asked about a "programme",
    it missed "told NBC's Meet the Press program" (confidence 0.52, declined) and found it
    with "program" (0.90). A compound the passage writes as two words is written as two
    ("videoconference" → "video conference"). A word the passage also spells the same way is
    left alone."""
    words = WORD.findall(passage)
    passage_words = {w.lower() for w in words}
    # the passage's two-word compounds, by the one word they make
    split = {a + b: f"{a} {b}" for a, b in compound_pairs(words)}

    def respell(match: re.Match[str]) -> str:
        word = match.group(0)
        if word.lower() in passage_words:
            return word
        other = next((v for v in spelling_variants(word)[1:] if v in passage_words), split.get(word.lower()))
        if other is None:
            return word
        return other.capitalize() if word[0].isupper() else other

    return WORD.sub(respell, text)
