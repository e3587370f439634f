"""British and American spellings of a word, so a keyword search for one finds the other.

News is written on both sides of the Atlantic and people ask in their own spelling: a
question about a "TV programme" must find the article that says "program", and BM25 (even
with FTS5's Porter stemmer: "programm" vs "program") treats them as different words. The
pairs come from breame's list of dual spellings, not from rules of our own ("-our"/"-or"
alone would turn "four" into "for").
"""

from __future__ import annotations

import re

from breame.spelling import get_american_spelling, get_british_spelling

WORD = re.compile(r"\w+", re.UNICODE)  # what keyword search and respelling count as a word


def spelling_variants(word: str) -> list[str]:
    """The word in lower case, then its other spellings, if any (each once)."""
    word = word.lower()
    return list(dict.fromkeys((word, get_american_spelling(word), get_british_spelling(word))))


def in_spelling_of(text: str, passage: str) -> str:
    """`text` with each word the passage spells the other way spelled as the passage does.

    The reader matches a question's words against the passage's: asked about a "programme",
    it missed "told NBC's Meet the Press program" (confidence 0.52, declined) and found it
    with "program" (0.90). A word the passage also spells the same way is left alone."""
    passage_words = {w.lower() for w in WORD.findall(passage)}

    def respell(match: re.Match[str]) -> str:
        word = match.group(0)
        if word.lower() in passage_words:
            return word
        other = next((v for v in spelling_variants(word)[1:] if v in passage_words), None)
        if other is None:
            return word
        return other.capitalize() if word[0].isupper() else other

    return WORD.sub(respell, text)
