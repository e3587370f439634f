"""Follow-up questions rewritten into standalone queries, without a language model.

A retriever and an extractive reader only see the words of the query, so "Which TV
programme did he speak on?" finds nothing about anyone in particular. People refer back
in a few regular ways, and each has a deterministic repair:

* a pronoun or demonstrative ("he", "his", "it", "they", "that country") is replaced by
  the entity it most likely points at: the previous answer when that is a name, else a
  name from the previous (already standalone) query;
* an elliptical question ("what about the EU?", "and Macron?", "and on Iran?") re-asks
  the previous query with the new subject swapped in for the matching name.

Names are found by shape (runs of capitalised words, acronyms), which is crude but
predictable: a wrong guess is visible in the reply's `query` and costs one rephrasing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.types import Answer

_TOKEN = re.compile(r"[A-Za-z0-9][\w'’.&-]*")
_POSSESSIVE = re.compile(r"['’]s?$")
# capitalised words that start questions or sentences rather than name anything
_NOT_NAMES = frozenset(
    "who whom whose what which when where why how is are was were do does did has have had can could will would "
    "should shall may might must and but so or the a an in on at of for to from by with about i it he she they we "
    "you his her its their this that these those there here yes no not".split()
)
_CONNECTORS = frozenset("of von van der de del da la le al bin".split())
_CALENDAR = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july august "
    "september october november december today yesterday tomorrow".split()
)
_PREPOSITIONS = frozenset("on in at to for from with about against by into over under after before during".split())
_DETERMINERS = ("the ", "a ", "an ")

_PERSON = re.compile(r"\b(he|she|him|her|his|hers|himself|herself)\b", re.IGNORECASE)
_THING = re.compile(
    r"\b(?:(?:that|this|those|these)\s+(?:country|countries|nation|city|town|state|region|company|companies|firm|"
    r"bank|group|organi[sz]ation|bloc|alliance|government|agency|party|man|woman|person|official|leader|minister|"
    r"president|programme|program|show|meeting|summit|deal|agreement|package|plan|attack|war|place|event)"
    r"|its|they|them|their|themselves)\b",
    re.IGNORECASE,
)
# words that lean on the previous turn without naming anything: "in it", "that cost", "And who…?"
_CONTINUES = re.compile(r"^\W*(?:and|so|but|also|then)\b|\b(?:it|that|there)\b", re.IGNORECASE)
_WHO = re.compile(r"^\W*(?:and\s+)?(?:who|whom|whose)\b", re.IGNORECASE)
_ELLIPSIS = re.compile(
    r"^\s*(?:(?:and|but|so)\s+)?(?:what|how)\s+about\s+(?P<what>.+?)[\s?.!]*$"
    r"|^\s*and\s+(?P<and>(?!(?:who|whom|whose|what|which|when|where|why|how|is|are|was|were|do|does|did|has|have|"
    r"had|can|could|will|would)\b)[^?]+?)[\s?.!]*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Turn:
    """One exchange of a conversation, as much of it as later turns need."""

    question: str
    query: str
    answer: str | None = None
    cited_doc_ids: tuple[str, ...] = ()

    @classmethod
    def from_answer(cls, answer: Answer) -> Turn:
        """The documents a follow-up's retrieval boosts: those cited, then those of the
        retrieved passages the reader was spared (staged reading) that state the answer word for
        word, so that an answer settled early does not narrow the conversation to one article."""
        cited = [c.doc_id for c in answer.citations]
        unread = answer.passages[answer.passages_read :]
        stating = [p.doc_id for p in unread if answer.answer and answer.answer in p.text]
        return cls(
            question=answer.question,
            query=answer.query,
            answer=answer.answer,
            cited_doc_ids=tuple(dict.fromkeys(cited + stating)),
        )


@dataclass(frozen=True)
class Rewrite:
    """What to search for, and which documents the conversation is about."""

    query: str
    boost_doc_ids: tuple[str, ...] = ()
    is_follow_up: bool = False


@dataclass(frozen=True)
class _Name:
    start: int
    end: int
    text: str

    @property
    def is_acronym(self) -> bool:
        return self.text.isupper()


def find_names(text: str) -> list[_Name]:
    """Runs of capitalised words ("Scott Bessent", "Ursula von der Leyen") and acronyms
    ("US", "NBC's" → "NBC"), each acronym a name of its own so "US" can be swapped for "EU"."""
    names: list[_Name] = []
    run: list[re.Match] = []

    def close() -> None:
        while run and run[-1].group().lower() in _CONNECTORS:
            run.pop()
        if run:
            last = run[-1]
            end = last.start() + len(_POSSESSIVE.sub("", last.group()))
            names.append(_Name(run[0].start(), end, text[run[0].start() : end]))
        run.clear()

    for m in _TOKEN.finditer(text):
        word = _POSSESSIVE.sub("", m.group())
        capitalised = (
            word[:1].isupper() and word.lower() not in _NOT_NAMES and word.lower() not in _CALENDAR and not any(ch.isdigit() for ch in word)
        )
        adjacent = not run or text[run[-1].end() : m.start()] == " "
        if capitalised and len(word) > 1 and word.isupper():
            close()
            run.append(m)
            close()
        elif capitalised and adjacent:
            run.append(m)
            if word != m.group():
                close()
        elif run and adjacent and word.lower() in _CONNECTORS:
            run.append(m)
        else:
            close()
            if capitalised:
                run.append(m)
    close()
    return names


def _as_name(answer: str | None) -> str | None:
    """The answer itself when it is a name ("Scott Bessent"), not a phrase, number or date."""
    if not answer:
        return None
    answer = answer.strip().strip(".,;:")
    names = find_names(answer)
    if len(names) != 1 or names[0].text != _POSSESSIVE.sub("", answer) or len(answer.split()) > 6:
        return None
    return names[0].text


class FollowUpRewriter:
    """Rewrite a question against the conversation so far; a standalone question is left alone."""

    def rewrite(self, question: str, history: Sequence[Turn]) -> Rewrite:
        question = question.strip()
        if not history:
            return Rewrite(question)
        previous = history[-1]

        # a query made standalone is searched like any question: the name now in it finds its
        # own articles, and boosting the previous turn's would outvote the best match (the TV
        # programme Bessent spoke on is in an article the first turn never retrieved)
        ellipsis = _ELLIPSIS.match(question)
        if ellipsis:
            subject = (ellipsis.group("what") or ellipsis.group("and")).strip()
            return Rewrite(self._swap(previous.query, subject), is_follow_up=True)

        query = self._resolve_references(question, history)
        if query != question:
            return Rewrite(query, is_follow_up=True)
        if _CONTINUES.search(question):  # refers back, but to nothing we can name: keep the documents
            boost = next((t.cited_doc_ids for t in reversed(history) if t.cited_doc_ids), ())
            return Rewrite(question, boost, True)
        return Rewrite(question)

    # --- "what about X?" ----------------------------------------------------------------

    def _swap(self, previous_query: str, subject: str) -> str:
        """The previous query with `subject` in place of the name it most likely replaces."""
        words = subject.split()
        preposition = words[0].lower() if len(words) > 1 and words[0].lower() in _PREPOSITIONS else None
        bare = subject.split(None, 1)[1] if preposition else subject
        determiner = next((d for d in _DETERMINERS if bare.lower().startswith(d)), "")
        bare = bare[len(determiner) :]
        names = find_names(previous_query)
        if preposition:
            names = [n for n in names if re.search(rf"\b{preposition}\s+(?:the\s+)?$", previous_query[: n.start], re.I)]
        if not names or not find_names(bare):  # nothing to swap, or not a name to swap in ("what about sanctions?")
            return f"{previous_query.rstrip(' ?.!')}, {subject}?"
        same_kind = [n for n in names if n.is_acronym == bare.isupper()]
        target = (same_kind or names)[0]
        preceded_by_determiner = re.search(r"\b(?:the|a|an)\s+$", previous_query[: target.start], re.I)
        replacement = bare if preceded_by_determiner else determiner + bare
        return previous_query[: target.start] + replacement + previous_query[target.end :]

    # --- pronouns and demonstratives ----------------------------------------------------

    def _resolve_references(self, question: str, history: Sequence[Turn]) -> str:
        own_people = [n for n in find_names(question) if not n.is_acronym]
        person = None if own_people else self._referent(history, person=True)
        thing = self._referent(history, person=False)
        resolved = _PERSON.sub(lambda m: _substitute(m, person), question) if person else question
        if thing and not (resolved != question and thing == person):
            resolved = _THING.sub(lambda m: _substitute(m, thing), resolved)
        return resolved

    @staticmethod
    def _referent(history: Sequence[Turn], person: bool) -> str | None:
        """Most recent first: a name-like answer (for a person, only the answer to a "who"
        question), else a name from that turn's query: its first for a person (the
        subject), its last for a thing (the object)."""
        for turn in reversed(history):
            answer = _as_name(turn.answer)
            if answer and (not person or _WHO.match(turn.query)):
                return answer
            names = [n for n in find_names(turn.query) if not (person and n.is_acronym)]
            if names:
                name = names[0] if person else names[-1]
                article = re.search(r"\bthe\s+$", turn.query[: name.start], re.IGNORECASE)
                return f"the {name.text}" if article else name.text
        return None


def _substitute(match: re.Match, name: str) -> str:
    word = match.group().lower()
    rest = match.string[match.end() :].lstrip()
    next_word = rest.split(None, 1)[0].strip("?.,!").lower() if rest else ""
    possessive = word in {"his", "hers", "its", "their"} or (
        word == "her" and next_word and next_word not in _PREPOSITIONS and rest[:1].isalpha()
    )
    return f"{name}'s" if possessive else name
