"""Question in, cited answer out: retrieve, read the passages, merge agreeing spans, decide.

The reader proposes one span per passage with a calibrated confidence. It reads the best
few passages first and the rest of top-k only when none of those gave a confident answer:
the rank penalty makes a lower passage's span lose to a confident higher one anyway, and
the reader is most of a question's time (eval/README.md, "Staged reading"). Spans that say
the same thing (equal after SQuAD normalisation, or one contained in the other: "Macron"
and "Emmanuel Macron") are one answer cited by every passage that gave it. When two
different answers are about equally likely, the one from the newer article wins: in news
the later report is usually the corrected one.

Dates: every answer carries the date of its newest evidence. When articles of different dates
give different confident answers (who holds an office, a count, a price), the newest dated
evidence wins and the older answers are listed as `earlier`, each with its date. Copies of
one wire story (index/stories.py) count as one report, and each citation names the other
outlets that carried it. Time words in the question ("this week", "in 2022") narrow the
search to their dates, relative to the request's `as_of` (rag/timewords.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from index.sentences import sentence_spans
from index.spelling import in_spelling_of
from index.store import Filters, StoredOutlet
from rag.reader.model import Reader, SpanPrediction
from rag.reader.squad import normalize_answer
from rag.retrieve import Retriever
from rag.timewords import period_in
from rag.types import Answer, Citation, EarlierAnswer, Outlet, Passage, Suggestion

Outlets = dict[tuple[str, str], list[StoredOutlet]]  # (collection, story_id) → its stored copies

NOT_FOUND = "Not found in the corpus: no passage supports an answer to this question."
EMPTY_CORPUS = "The corpus is empty: ingest articles first (rag ingest PATH)."
SNIPPET_MAX_CHARS = 300


@dataclass
class _Candidate:
    passage: Passage
    span: SpanPrediction
    confidence: float

    @property
    def key(self) -> str:
        return normalize_answer(self.span.text)


@dataclass
class _Group:
    members: list[_Candidate] = field(default_factory=list)

    @property
    def best(self) -> _Candidate:
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
        return any(_same_answer(key, m.key) for m in self.members)


def _same_answer(a: str, b: str) -> bool:
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return bool(short) and f" {short} " in f" {long} "


def _log_odds(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def _snippet(passage: Passage, start: int, end: int) -> tuple[int, str]:
    """The sentence(s) holding the answer, clipped to SNIPPET_MAX_CHARS; offsets in the passage."""
    spans = sentence_spans(passage.text)
    lo = next((s for s, e in spans if s <= start < e), start)
    hi = next((e for s, e in spans if s < end <= e), end)
    if hi - lo > SNIPPET_MAX_CHARS:
        half = (SNIPPET_MAX_CHARS - (end - start)) // 2
        lo, hi = max(lo, start - max(half, 0)), min(hi, end + max(half, 0))
    return lo, passage.text[lo:hi]


def time_filters(query: str, filters: Filters | None, as_of: dt.date | None) -> Filters:
    """The request's filters with the dates the question's time words stand for, counted from
    `as_of` (default today); explicit since/until win. Undated articles stay searchable: an
    archive without dates still answers "this week" questions, and the reply says "undated"."""
    filters = filters or Filters()
    period = None if filters.since or filters.until else period_in(query, as_of or dt.date.today())
    if period is None:
        return filters
    return dataclasses.replace(filters, since=period.since, until=period.until, keep_undated=True)


def _dated_message(chosen: _Group, earlier: list[EarlierAnswer]) -> str:
    """The reply's sentence about evidence: how many independent reports, from when, and what
    older reports said instead."""
    n = len(chosen.stories)
    copies = len({(c.passage.collection, c.passage.doc_id) for c in chosen.members}) - n
    text = f"Answer found in {n} {'independent reports' if n > 1 else 'report'}"
    if copies:
        text += f" ({copies} more {'copies' if copies > 1 else 'copy'} of the same {'stories' if n > 1 else 'story'})"
    text += f", dated {chosen.date.isoformat()}." if chosen.date else " (undated: the article states no date)."
    if earlier:
        said = "; ".join(f"{e.answer} ({e.date.isoformat() if e.date else 'undated'})" for e in earlier)
        text += f" Earlier reports: {said}."
    return text


class AnswerPipeline:
    """Retriever + Reader + the decision of what to say."""

    def __init__(
        self,
        retriever: Retriever,
        reader: Reader,
        *,
        top_k: int,
        no_answer_threshold: float | None,
        tie_margin: float,
        rank_penalty: float,
        first_pass: int | None,
        stop_confidence: float,
    ) -> None:
        """`first_pass` passages are read first; the rest of top-k only when no answer from them
        reaches `stop_confidence` (None: all top-k in one pass). No defaults: the values come from
        Settings (rag/service.py), so the component cannot disagree with them."""
        self.retriever = retriever
        self.reader = reader
        self.top_k = top_k
        self.threshold = no_answer_threshold if no_answer_threshold is not None else reader.calibration.threshold
        self.tie_margin = tie_margin
        self.rank_penalty = rank_penalty
        self.first_pass = first_pass
        self.stop_confidence = stop_confidence

    def ask(
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        query: str | None = None,
        boost_doc_ids: tuple[str, ...] = (),
        as_of: dt.date | None = None,
    ) -> Answer:
        """`query` is what to search and read with when it differs from what the user typed
        (a follow-up rewritten into a standalone question); `as_of` is the day relative time
        in the question counts from (default today)."""
        t0 = time.perf_counter()
        question = question.strip()
        query = (query or question).strip()
        filters = time_filters(query, filters, as_of)
        timings: dict[str, float] = {}
        passages = self.retriever.retrieve(query, top_k or self.top_k, filters, boost_doc_ids, timings)

        t = time.perf_counter()
        groups: list[_Group] = []
        read = len(passages) if self.first_pass is None else min(self.first_pass, len(passages))
        self._read(query, passages, 0, read, groups)
        if read < len(passages) and max((g.confidence for g in groups), default=0.0) < self.stop_confidence:
            self._read(query, passages, read, len(passages), groups)
            read = len(passages)
        timings["read_ms"] = 1000 * (time.perf_counter() - t)

        chosen = self._choose(groups)
        timings["total_ms"] = 1000 * (time.perf_counter() - t0)
        timings = {k: round(v, 2) for k, v in timings.items()}
        if chosen is None or chosen.confidence < self.threshold:
            best_conf = chosen.confidence if chosen else 0.0
            suggestion = (
                Suggestion(
                    answer=chosen.best.span.text,
                    confidence=round(best_conf, 4),
                    citation=self._cite(chosen.best, self._outlets([chosen.best.passage])),
                )
                if chosen
                else None
            )
            return Answer(
                question=question,
                query=query,
                answer=None,
                confidence=round(1.0 - best_conf, 4),
                message=NOT_FOUND if passages else EMPTY_CORPUS,
                citations=[],
                suggestion=suggestion,
                since=filters.since,
                until=filters.until,
                passages=passages,
                passages_read=read,
                timings_ms=timings,
            )
        chosen = self._newest(chosen, groups)
        outlets = self._outlets(m.passage for g in groups for m in g.members)
        earlier = [
            EarlierAnswer(answer=g.best.span.text, date=g.date, citations=self._citations(g, outlets))
            for g in sorted(groups, key=lambda g: g.newest, reverse=True)
            if g is not chosen and g.date and g.date < (chosen.date or dt.date.min) and g.confidence >= self.threshold
        ]
        return Answer(
            question=question,
            query=query,
            answer=chosen.best.span.text,
            confidence=round(chosen.confidence, 4),
            message=_dated_message(chosen, earlier),
            citations=self._citations(chosen, outlets),
            date=chosen.date,
            earlier=earlier,
            since=filters.since,
            until=filters.until,
            passages=passages,
            passages_read=read,
            timings_ms=timings,
        )

    def _read(self, query: str, passages: list[Passage], lo: int, hi: int, groups: list[_Group]) -> None:
        """Reads passages[lo:hi] and files each span under the answer it agrees with."""
        asked = set(normalize_answer(query).split())
        # each passage is read with the question in that passage's spelling ("programme" / "program")
        spans = self.reader.predict([(in_spelling_of(query, p.text), p.text) for p in passages[lo:hi]])
        for rank, (passage, span) in enumerate(zip(passages[lo:hi], spans), start=lo):
            # the reader judges each passage alone and is easily sure of a well-typed span in
            # a passage the retriever ranked low; like BERTserini's retriever+reader score,
            # the lower the passage, the stronger the reader's evidence has to be
            margin = span.margin - self.rank_penalty * rank
            candidate = _Candidate(passage, span, self.reader.calibration.confidence(margin))
            if not candidate.key or set(candidate.key.split()) <= asked:
                continue  # nothing, or only the question's own words: not an answer
            group = next((g for g in groups if g.agrees_with(candidate.key)), None)
            if group is None:
                groups.append(group := _Group())
            group.members.append(candidate)

    def _choose(self, groups: list[_Group]) -> _Group | None:
        if not groups:
            return None
        top = max(g.confidence for g in groups)
        # a near-tie is judged in log-odds, where 0.60 against 0.57 is close and 0.99 against
        # 0.95 is not (a flat 0.05 made the second a tie, and the newer article's wrong
        # answer won); and it is only a tie between answers we would give at all
        contenders = [
            g for g in groups if _log_odds(g.confidence) >= _log_odds(top) - self.tie_margin and g.confidence >= min(top, self.threshold)
        ]
        return max(contenders, key=lambda g: (g.newest, g.confidence))

    def _newest(self, chosen: _Group, groups: list[_Group]) -> _Group:
        """A confident answer from newer dated evidence replaces the chosen one: what was true
        on the later date is the answer, the rest is history (`earlier`). Undated evidence
        cannot be placed in time, so it never displaces a dated answer nor is displaced by one."""
        if chosen.date is None:
            return chosen
        newer = [g for g in groups if g.date and g.newest > chosen.newest and g.confidence >= self.threshold]
        return max(newer, key=lambda g: (g.newest, g.confidence)) if newer else chosen

    def _outlets(self, passages: Iterable[Passage]) -> Outlets:
        """The stored copies of these passages' stories, each looked up in the passage's own
        collection only: a citation never names a copy that another collection holds."""
        wanted: dict[str, set[str]] = {}
        for p in passages:
            if p.story_id:
                wanted.setdefault(p.collection, set()).add(p.story_id)
        return {
            (collection, story_id): copies
            for collection, story_ids in wanted.items()
            for story_id, copies in self.retriever.store.outlets(story_ids, collection).items()
        }

    def _citations(self, group: _Group, outlets: Outlets) -> list[Citation]:
        return [self._cite(c, outlets) for c in sorted(group.members, key=lambda c: c.confidence, reverse=True)]

    @staticmethod
    def _cite(candidate: _Candidate, outlets: Outlets) -> Citation:
        p, s = candidate.passage, candidate.span
        snippet_start, snippet = _snippet(p, s.start, s.end)
        return Citation(
            doc_id=p.doc_id,
            collection=p.collection,
            title=p.title,
            date=p.date,
            source=p.source,
            chunk_id=p.chunk_id,
            start=p.start + s.start,
            end=p.start + s.end,
            snippet=snippet,
            snippet_start=p.start + snippet_start,
            confidence=round(candidate.confidence, 4),
            also_published_by=[
                Outlet(doc_id=o.doc_id, source=o.source, date=o.date)
                for o in outlets.get((p.collection, p.story_id or ""), ())
                if o.doc_id != p.doc_id
            ],
        )
