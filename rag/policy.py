"""The answer policy: what to say, given what the reader proposed. Pure functions over candidates.

The pipeline reads; this module decides; renderers (CLI, page, Slack) only format. Every rule that
turns reader spans into a reply lives here, so that each is tested without a model:

- **merging**: spans that say the same thing (equal after SQuAD normalisation, or one contained in
  the other: "Macron" and "Emmanuel Macron") are one answer, cited by every passage that gave it;
- **choosing**: of near-tied answers (close in log-odds) the most confident wins, and a newer one
  only when it answers the same question about the same subject and role (rag/supersede.py);
- **newer vs older**: a confident answer from newer dated evidence about the same subject and role
  replaces the chosen one, and the answers it replaced become `earlier` (one named step,
  `prefer_newer`); a question about a named period keeps that period's answer;
- **bands**: the calibrated confidence is P(the answer is right), so its bands mean something:
  *answer* from `answer_edge` up (more likely right than wrong), *possible* from the no-answer
  threshold (fitted on training articles, rag/reader/calibrate.py) up to it, *none* below;
- **hints**: below the threshold the best span is shown as a hint only from `hint_floor` up: a
  0 % hint quoting an unrelated article is noise, not a lead;
- **shapes** (rag/shapes.py): a list question collects every item of every answer in the
  possible band or above, each cited; a yes/no or why/how question states the sentence that holds
  the chosen span.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from rag.reader.model import Calibration, SpanPrediction
from rag.reader.squad import answer_key
from rag.shapes import (
    Shape,
    TextSpan,
    asks_future_time,
    enumeration_items,
    expects_amount,
    names_only_earlier_years,
    sentence_around,
    states_amount,
    wants_names,
)
from rag.supersede import Claim, supersedes
from rag.types import Band, Passage

# P(right) from which a reply is an answer rather than a possible one: the calibrated confidence
# is a probability, and below one half the reader is more often wrong than right (eval/README.md,
# "Question shapes and confidence bands").
ANSWER_EDGE = 0.5
# A list question's further answers must be this close to its best one in log-odds (a factor of
# about 4.5 in odds): on the test articles the reader's second span of a passage was a true item at
# 1.0 below the best and a wrong one (the councillor who voted against) at 1.8 below.
LIST_MARGIN = 1.5


@dataclass(frozen=True)
class Candidate:
    """One span the reader proposed in one passage, with its calibrated confidence."""

    passage: Passage
    span: SpanPrediction
    confidence: float

    @property
    def key(self) -> str:
        return answer_key(self.span.text)


@dataclass
class Group:
    """Candidates that say the same thing: one answer, cited by each."""

    members: list[Candidate] = field(default_factory=list)

    @property
    def best(self) -> Candidate:
        return max(self.members, key=lambda c: c.confidence)

    @property
    def confidence(self) -> float:
        return self.best.confidence

    @property
    def newest(self) -> dt.date:
        return max((c.passage.date or dt.date.min) for c in self.members)

    @property
    def date(self) -> dt.date | None:
        return None if self.newest == dt.date.min else self.newest

    @property
    def stories(self) -> set[tuple[str, str]]:
        """Stories are per collection: the same wire copy in two collections is two stories."""
        return {(c.passage.collection, c.passage.story_id or c.passage.doc_id) for c in self.members}

    def agrees_with(self, key: str) -> bool:
        return any(same_answer(key, m.key) for m in self.members)


def same_answer(a: str, b: str) -> bool:
    """Two normalised spans say the same thing: equal, or one is a whole-word part of the other."""
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return bool(short) and f" {short} " in f" {long} "


def claim(group: Group) -> Claim:
    """The group's best span as a claim: its answer, the sentence it was read from, its date."""
    best = group.best
    sentence = sentence_around(best.passage.text, best.span.start, best.span.end)
    return Claim(best.span.text, best.passage.text[sentence.start : sentence.end], group.date)


def replaces(question: str, newer: Group, older: Group) -> bool:
    """Whether `newer` replaces `older` as the answer to `question` (rag/supersede.py)."""
    return newer is not older and supersedes(question, claim(newer), claim(older))


def log_odds(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def is_answer_text(key: str, asked: set[str]) -> bool:
    """An empty span, or one made only of the question's own words, answers nothing."""
    return bool(key) and not set(key.split()) <= asked


def merge(candidates: Iterable[Candidate], question: str, groups: list[Group] | None = None) -> list[Group]:
    """Files each candidate under the answer it agrees with (in `groups`, extended in place when
    given, so a second reading pass adds to the first); drops spans that answer nothing: the
    question's own words, no number where an amount is asked, only years before the report
    where a future time is asked (rag/shapes.py)."""
    groups = [] if groups is None else groups
    asked = set(answer_key(question).split())
    amount = expects_amount(question)
    future = asks_future_time(question)
    for candidate in candidates:
        if not is_answer_text(candidate.key, asked) or (amount and not states_amount(candidate.span.text)):
            continue
        if future and names_only_earlier_years(candidate.span.text, candidate.passage.date):
            continue
        group = next((g for g in groups if g.agrees_with(candidate.key)), None)
        if group is None:
            groups.append(group := Group())
        group.members.append(candidate)
    return groups


def _respan(candidate: Candidate, span: TextSpan) -> Candidate:
    """The same evidence, stating another part of its passage."""
    text = candidate.passage.text[span.start : span.end]
    return replace(candidate, span=replace(candidate.span, start=span.start, end=span.end, text=text))


def as_sentences(group: Group) -> Group:
    """The group with each member stating the sentence that holds its span: the deciding sentence
    of a yes/no question, the reason of a why/how question."""
    return Group([_respan(m, sentence_around(m.passage.text, m.span.start, m.span.end)) for m in group.members])


@dataclass(frozen=True)
class Decision:
    """What to say: the band, the answer group (None when nothing is said), the items of a list,
    the older answers, the hint."""

    band: Band
    chosen: Group | None
    earlier: list[Group]
    hint: Candidate | None
    confidence: float  # of the answer; for `none`, the confidence that there is none
    items: list[Candidate] = field(default_factory=list)


@dataclass(frozen=True)
class AnswerPolicy:
    """The thresholds that decide a reply; built from the reader's calibration (`from_calibration`)."""

    threshold: float
    answer_edge: float = ANSWER_EDGE
    hint_floor: float = 0.0
    tie_margin: float = 0.5
    list_margin: float = LIST_MARGIN

    @classmethod
    def from_calibration(
        cls,
        calibration: Calibration,
        threshold: float | None = None,
        answer_edge: float = ANSWER_EDGE,
        hint_floor: float | None = None,
        tie_margin: float = 0.5,
    ) -> AnswerPolicy:
        """The calibrated threshold unless overridden; the answer edge never below it; the hint
        floor by default half the threshold: a hint at least half as likely right as the least
        sure answer we would give (eval/README.md, "Question shapes and confidence bands")."""
        t = calibration.threshold if threshold is None else threshold
        floor = t / 2 if hint_floor is None else hint_floor
        return cls(
            threshold=t,
            answer_edge=max(answer_edge, t),
            hint_floor=min(floor, t),
            tie_margin=tie_margin,
        )

    def band(self, confidence: float) -> Band:
        if confidence >= self.answer_edge:
            return Band.ANSWER
        if confidence >= self.threshold:
            return Band.POSSIBLE
        return Band.NONE

    def answers(self, confidence: float) -> bool:
        """Whether a confidence is high enough to say anything (the possible band or above)."""
        return confidence >= self.threshold

    def choose(self, groups: list[Group], question: str = "", about_now: bool = True) -> Group | None:
        """The best answer; of near-ties, a newer one only when it answers the same question about
        the same subject and role (`replaces`). A near-tie is judged in log-odds, where 0.60 against
        0.57 is close and 0.99 against 0.95 is not (a flat 0.05 made the second a tie, and the newer
        article's wrong answer won); and it is only a tie between answers we would give at all.
        Recency as such is a prior in retrieval (rag/timeprior.py), not a rule here."""
        if not groups:
            return None
        top = max(g.confidence for g in groups)
        contenders = [
            g for g in groups if log_odds(g.confidence) >= log_odds(top) - self.tie_margin and g.confidence >= min(top, self.threshold)
        ]
        best = max(contenders, key=lambda g: g.confidence)
        newer = [g for g in contenders if about_now and replaces(question, g, best)]
        return max(newer, key=lambda g: (g.newest, g.confidence)) if newer else best

    def prefer_newer(self, chosen: Group, groups: list[Group], question: str = "", about_now: bool = True) -> Group:
        """Newer vs older: a confident answer from newer dated evidence about the same subject and
        role replaces the chosen one: what was true on the later date is the answer, the rest is
        history (`earlier`). Undated evidence cannot be placed in time, so it never displaces a
        dated answer nor is displaced by one; a question about a named period keeps that period's
        answer (`about_now` False)."""
        if not about_now:
            return chosen
        newer = [g for g in groups if self.answers(g.confidence) and replaces(question, g, chosen)]
        return max(newer, key=lambda g: (g.newest, g.confidence)) if newer else chosen

    def earlier(self, chosen: Group, groups: list[Group], question: str = "") -> list[Group]:
        """Confident answers that the chosen one replaced (same subject and role, older dated
        evidence), newest first."""
        return [
            g
            for g in sorted(groups, key=lambda g: g.newest, reverse=True)
            if g is not chosen and self.answers(g.confidence) and replaces(question, chosen, g)
        ]

    def hint(self, best: Group | None) -> Candidate | None:
        """The best span under the threshold, worth showing only from the hint floor up."""
        if best is None or best.confidence < self.hint_floor:
            return None
        return best.best

    def items(self, groups: list[Group], question: str) -> tuple[Group | None, list[Candidate]]:
        """A list question's answer: every item of the best answer and of every other answer in
        the answer band, most confident first, each enumeration in its text order, an item said
        twice kept once; with the group that gave the first item, whose date and confidence the
        reply states (a surer answer that names no items, "US allies", is not the list's)."""
        names = wants_names(question)
        asked = set(answer_key(question).split())
        items: list[Candidate] = []
        first: Group | None = None
        ranked = sorted(groups, key=lambda g: g.confidence, reverse=True)
        # the reader's second and third spans in a passage are often other names near the answer
        # ("US", "Ukraine", the councillor who voted against), so beyond the best answer only
        # likely-right ones close to it in log-odds are items
        floor = log_odds(ranked[0].confidence) - self.list_margin if ranked else 0.0
        for n, group in enumerate(ranked):
            if not self.answers(group.confidence):
                break
            if n and (group.confidence < self.answer_edge or log_odds(group.confidence) < floor):
                break
            best = group.best
            for span in enumeration_items(best.passage.text, best.span.start, best.span.end, names):
                item = _respan(best, span)
                if is_answer_text(item.key, asked) and not any(same_answer(item.key, i.key) for i in items):
                    items.append(item)
                    first = first or group
        return first, items

    def decide(self, groups: list[Group], shape: Shape = Shape.FACT, question: str = "", about_now: bool = True) -> Decision:
        """The reply for a question of this shape, from the reader's spans filed in `groups`.
        `about_now` is False when the question names a period or draws a range: what was true
        then is the answer, and no newer report replaces it."""
        chosen = self.choose(groups, question, about_now)
        if chosen is None or not self.answers(chosen.confidence):
            best_conf = chosen.confidence if chosen else 0.0
            return Decision(Band.NONE, None, [], self.hint(chosen), 1.0 - best_conf)
        chosen = self.prefer_newer(chosen, groups, question, about_now)
        band = self.band(chosen.confidence)
        if shape is Shape.LIST:
            source, items = self.items(groups, question)
            if source is not None:
                return Decision(self.band(source.confidence), source, [], None, source.confidence, items)
        earlier = self.earlier(chosen, groups, question)
        if shape in (Shape.YES_NO, Shape.REASON):
            chosen = as_sentences(chosen)
        return Decision(band, chosen, earlier, None, chosen.confidence)
