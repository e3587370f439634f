"""Question in, cited answer out: retrieve, read the passages, let the answer policy decide, cite.

The reader proposes one span per passage with a calibrated confidence. It reads the best
few passages first and the rest of top-k only when none of those gave a confident answer:
the rank penalty makes a lower passage's span lose to a confident higher one anyway, and
the reader is most of a question's time (eval/README.md, "Staged reading"). What to say of
the spans (merging agreeing ones, near-ties, newer vs older, bands, hints) is the answer
policy's (rag/policy.py); this module only reads and cites.

Dates: nothing dated after the day asked (`as_of`) is retrieved at all (rag/retrieve.py), and
recency and a period the question names are priors there (rag/timeprior.py), not rules here.
Every answer carries the date of its newest evidence. A confident answer from newer evidence
replaces an older one only when both answer the same question about the same subject and role
(rag/supersede.py); the older is then listed as `earlier`, with its date. Copies of one wire
story (index/stories.py) count as one report, and each citation names the other outlets that
carried it. Ranges in the question's words ("last week", "since May") filter the search;
windows ("this week", "latest") filter it first and widen when they give no answer
(rag/timewords.py), and the reply says so.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Iterable

from index.sentences import sentence_spans
from index.spelling import in_spelling_of
from index.store import Filters, StoredOutlet
from rag.empty import nothing_to_read
from rag.policy import AnswerPolicy, Candidate, Decision, Group, merge
from rag.question import Question
from rag.reader.model import Reader, SpanPrediction
from rag.retrieve import Retriever
from rag.shapes import Shape, expects_amount, question_shape
from rag.spans import close_quotes, number_of_measure
from rag.timeprior import TimePrior
from rag.timewords import Period, period_in
from rag.types import Answer, Citation, EarlierAnswer, Item, Outlet, Passage, Suggestion

Outlets = dict[tuple[str, str], list[StoredOutlet]]  # (collection, story_id) → its stored copies

NOT_FOUND = "Not found in the corpus: no passage supports an answer to this question."
SNIPPET_MAX_CHARS = 300
# spans a list question takes from each passage: a passage may name its items in several places
LIST_SPANS_PER_PASSAGE = 4


def _snippet(passage: Passage, start: int, end: int) -> tuple[int, str]:
    """The sentence(s) holding the answer, clipped to SNIPPET_MAX_CHARS; offsets in the passage."""
    spans = sentence_spans(passage.text)
    lo = next((s for s, e in spans if s <= start < e), start)
    hi = next((e for s, e in spans if s < end <= e), end)
    if hi - lo > SNIPPET_MAX_CHARS:
        half = (SNIPPET_MAX_CHARS - (end - start)) // 2
        lo, hi = max(lo, start - max(half, 0)), min(hi, end + max(half, 0))
    return lo, passage.text[lo:hi]


def _repaired(passage: Passage, span: SpanPrediction, amount: bool) -> SpanPrediction:
    """The span with a quote it leaves open closed (`“Gullwing` → `“Gullwing”`) and, for an
    amount question, a hyphenated measure cut to its number (`71-year` → `71`; rag/spans.py).
    Its score is the reader's for the span it chose."""
    start, end = close_quotes(passage.text, span.start, span.end)
    if amount:
        start, end = number_of_measure(passage.text, start, end)
    if (start, end) == (span.start, span.end):
        return span
    return dataclasses.replace(span, start=start, end=end, text=passage.text[start:end])


def time_filters(query: str, filters: Filters | None, as_of: dt.date) -> tuple[Filters, Period | None]:
    """The request's filters bounded by `as_of` (nothing dated after the day asked is evidence),
    narrowed to the range or window the question's time words draw (rag/timewords.py), and the
    period they name; explicit since/until win. Undated articles stay searchable: an archive
    without dates still answers "this week" questions, and the reply says "undated"."""
    filters = dataclasses.replace(filters or Filters(), as_of=as_of)
    period = None if filters.since or filters.until else period_in(query, as_of)
    if period is None or period.kind == "named":
        return filters, period
    return dataclasses.replace(filters, since=period.since, until=period.until, keep_undated=True), period


def _widened(filters: Filters, period: Period) -> str:
    """The reply's note when a window ("this week") found nothing and the search went further back."""
    return (
        f"Nothing dated {period.phrase} ({filters.since.isoformat() if filters.since else '…'} to "
        f"{filters.until.isoformat() if filters.until else '…'}) answered; searched everything up to {filters.as_of}. "
    )


def _dated_message(chosen: Group, earlier: list[EarlierAnswer]) -> str:
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
        time_prior: TimePrior | None = None,
    ) -> None:
        """`first_pass` passages are read first; the rest of top-k only when no answer from them
        reaches `stop_confidence` (None: all top-k in one pass). No defaults: the values come from
        Settings (rag/service.py), so the component cannot disagree with them."""
        self.retriever = retriever
        self.reader = reader
        self.top_k = top_k
        self.policy = AnswerPolicy.from_calibration(reader.calibration, no_answer_threshold, tie_margin=tie_margin)
        self.rank_penalty = rank_penalty
        self.first_pass = first_pass
        self.stop_confidence = stop_confidence
        self.time_prior = time_prior or TimePrior()

    @property
    def threshold(self) -> float:
        return self.policy.threshold

    def ask(
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        query: str | None = None,
        boost_doc_ids: tuple[str, ...] = (),
        as_of: dt.date | None = None,
    ) -> Answer:
        """`answer` for a question given as its parts (scripts, tests, benchmarks)."""
        q = Question(question, as_of or dt.date.today(), filters or Filters(), top_k)
        return self.answer(q, query, boost_doc_ids)

    def answer(self, q: Question, query: str | None = None, boost_doc_ids: tuple[str, ...] = ()) -> Answer:
        """`query` is what to search and read with when it differs from what the user typed
        (a follow-up rewritten into a standalone question). Nothing dated after `q.as_of` is
        read, and time words count from it. A window ("this week", "latest") that gives no
        answer is widened to everything up to `as_of`, and the reply says so."""
        question = q.text.strip()
        query = (query or question).strip()
        top_k = q.top_k
        windowed, period = time_filters(query, q.filters, q.as_of)
        answer = self._ask(question, query, top_k, windowed, boost_doc_ids, period)
        if answer.answer is None and period is not None and period.kind == "window":
            wider = self._ask(question, query, top_k, dataclasses.replace(windowed, since=None, until=None), boost_doc_ids, None)
            wider.message = _widened(windowed, period) + wider.message
            wider.timings_ms = {k: round(v + answer.timings_ms.get(k, 0.0), 2) for k, v in wider.timings_ms.items()}
            return wider
        return answer

    def _ask(
        self,
        question: str,
        query: str,
        top_k: int | None,
        filters: Filters,
        boost_doc_ids: tuple[str, ...],
        period: Period | None,
    ) -> Answer:
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        bonus = self.time_prior.bonus(filters.as_of or dt.date.today(), period)
        passages = self.retriever.retrieve(query, top_k or self.top_k, filters, boost_doc_ids, timings, bonus)
        # "what was true then" when the question names a period or draws a range: no newer report replaces it
        about_now = period is None or period.kind == "window"

        t = time.perf_counter()
        shape = question_shape(query)
        groups: list[Group] = []
        # a list is collected from every passage; other shapes stop once one answer is sure
        staged = self.first_pass is not None and shape is not Shape.LIST
        read = min(self.first_pass, len(passages)) if staged and self.first_pass is not None else len(passages)
        self._read(query, passages, 0, read, groups, shape)
        if read < len(passages) and max((g.confidence for g in groups), default=0.0) < self.stop_confidence:
            self._read(query, passages, read, len(passages), groups, shape)
            read = len(passages)
        timings["read_ms"] = 1000 * (time.perf_counter() - t)

        decision = self.policy.decide(groups, shape, query, about_now)
        timings["total_ms"] = 1000 * (time.perf_counter() - t0)
        timings = {k: round(v, 2) for k, v in timings.items()}
        return self._reply(question, query, filters, passages, read, timings, decision, groups, shape)

    def _reply(
        self,
        question: str,
        query: str,
        filters: Filters,
        passages: list[Passage],
        read: int,
        timings: dict[str, float],
        decision: Decision,
        groups: list[Group],
        shape: Shape,
    ) -> Answer:
        """Formats the policy's decision as the reply: citations, dates, the hint."""
        chosen = decision.chosen
        earlier: list[EarlierAnswer] = []
        suggestion = None
        if chosen is None:
            hint = decision.hint
            if hint:
                citation = self._cite(hint, self._outlets([hint.passage]))
                suggestion = Suggestion(answer=hint.span.text, confidence=round(hint.confidence, 4), citation=citation)
            text, message, citations, date = (
                None,
                NOT_FOUND if passages else nothing_to_read(self.retriever.store, filters),
                [],
                None,
            )
            items = []
        else:
            outlets = self._outlets(m.passage for g in groups for m in g.members)
            earlier = [EarlierAnswer(answer=g.best.span.text, date=g.date, citations=self._citations(g, outlets)) for g in decision.earlier]
            items = [Item(text=i.span.text, citation=self._cite(i, outlets)) for i in decision.items]
            text = "; ".join(i.text for i in items) if items else chosen.best.span.text
            citations = [i.citation for i in items] if items else self._citations(chosen, outlets)
            message, date = _dated_message(chosen, earlier), chosen.date
        return Answer(
            question=question,
            query=query,
            answer=text,
            confidence=round(decision.confidence, 4),
            confidence_band=decision.band.value,
            shape=shape.value,
            items=items,
            message=message,
            citations=citations,
            suggestion=suggestion,
            date=date,
            earlier=earlier,
            since=filters.since,
            until=filters.until,
            passages=passages,
            passages_read=read,
            timings_ms=timings,
        )

    def _read(self, query: str, passages: list[Passage], lo: int, hi: int, groups: list[Group], shape: Shape) -> None:
        """Reads passages[lo:hi] and lets the policy file each span under the answer it agrees with:
        the best span of each passage, or for a list question its best few."""
        # each passage is read with the question in that passage's spelling ("programme" / "program")
        pairs = [(in_spelling_of(query, p.text), p.text) for p in passages[lo:hi]]
        spans = self.reader.predict_nbest(pairs, LIST_SPANS_PER_PASSAGE if shape is Shape.LIST else 1)
        amount = expects_amount(query)
        candidates = [
            # the reader judges each passage alone and is easily sure of a well-typed span in
            # a passage the retriever ranked low; like BERTserini's retriever+reader score,
            # the lower the passage, the stronger the reader's evidence has to be
            Candidate(passage, _repaired(passage, span, amount), self.reader.calibration.confidence(span.margin - self.rank_penalty * rank))
            for rank, (passage, passage_spans) in enumerate(zip(passages[lo:hi], spans), start=lo)
            for span in passage_spans
        ]
        merge(candidates, query, groups)

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

    def _citations(self, group: Group, outlets: Outlets) -> list[Citation]:
        return [self._cite(c, outlets) for c in sorted(group.members, key=lambda c: c.confidence, reverse=True)]

    @staticmethod
    def _cite(candidate: Candidate, outlets: Outlets) -> Citation:
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
