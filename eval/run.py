"""`rag eval`: ask every test question through the real pipeline and score the replies.

The evaluator goes through the same `AnswerPipeline.ask` the CLI and HTTP API use (and
the chat service for conversations), so what it measures is what users get. With a
corpus folder it builds a throw-away index first, so any test set over any documents can
be scored without touching the index the product serves.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from eval.metrics import QuestionResult, answer_scores, first_relevant_rank, summarize
from eval.testset import Conversation, EvalQuestion, EvalSet, load_testset
from index.errors import RagError
from index.store import Filters
from rag.question import Question
from rag.settings import Settings
from rag.types import Answer

if TYPE_CHECKING:
    from rag.service import Services


class EvalInputError(RagError, ValueError):
    """The test set or corpus cannot be used at all (missing, or no valid line)."""

    exit_code = 2  # bad input: nothing was touched


Ask = Callable[[Question], Answer]  # AnswerPipeline.answer: one question
ChatTurn = Callable[[Question], Answer]  # ChatEngine.chat: one turn of a conversation (its id in the Question)


@dataclass
class EvalResult:
    testset: str
    corpus: str | None
    results: list[QuestionResult]
    errors: list[str]
    settings: dict[str, Any]
    summary: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.summary = summarize(self.results) | {"malformed_lines": len(self.errors)}


def score(
    item: EvalQuestion, answer: Answer, latency_ms: float, conversation_id: str | None = None, turn: int | None = None
) -> QuestionResult:
    em, f1 = answer_scores(answer.answer, item.answers)
    retrieved = tuple(p.doc_id for p in answer.passages)
    return QuestionResult(
        id=item.id,
        question=item.question,
        golds=item.answers,
        gold_doc_ids=item.doc_ids,
        predicted=answer.answer,
        confidence=answer.confidence,
        exact_match=em,
        f1=f1,
        gold_rank=first_relevant_rank(retrieved, item.doc_ids),
        retrieved_doc_ids=retrieved,
        latency_ms=round(latency_ms, 1),
        conversation_id=conversation_id,
        turn=turn,
        band=answer.confidence_band,
    )


def _timed(call: Callable[..., Answer], *args: Any, **kwargs: Any) -> tuple[Answer, float]:
    t = time.perf_counter()
    answer = call(*args, **kwargs)
    return answer, 1000 * (time.perf_counter() - t)


def evaluate(
    testset: EvalSet,
    ask: Ask,
    top_k: int | None = None,
    chat: ChatTurn | None = None,
    progress: bool = False,
    gold_docs: bool = False,
) -> tuple[list[QuestionResult], list[str]]:
    """Scores every item; returns the results and the problems met (conversations that could
    not be run are reported, not silently dropped).

    `gold_docs` restricts retrieval to each question's own doc_ids (questions without any are
    asked as usual): what is then wrong is the reader's or the threshold's doing, not retrieval's.
    """
    results: list[QuestionResult] = []
    problems: list[str] = []
    for item in tqdm(testset.items, desc="eval", unit="item", disable=not progress):
        if isinstance(item, Conversation):
            if chat is None:
                problems.append(f"line {item.line}: conversation {item.id!r} skipped: this build has no chat service")
                continue
            conversation_id = f"eval-{uuid.uuid4().hex[:8]}-{item.id}"  # fresh history for every run
            for n, turn in enumerate(item.turns, start=1):
                asked = Question(turn.question, turn.as_of or dt.date.today(), top_k=top_k, conversation_id=conversation_id)
                answer, ms = _timed(chat, asked)
                results.append(score(turn, answer, ms, item.id, n))
        else:
            only = Filters(doc_ids=item.doc_ids) if gold_docs and item.doc_ids else Filters()
            # each line is asked on its own `as_of` (default today), as a user would have asked it that day
            asked = Question(item.question, item.as_of or dt.date.today(), only, top_k)
            answer, ms = _timed(ask, asked)
            results.append(score(item, answer, ms))
    return results, problems


def chat_turn(services: Services) -> ChatTurn | None:
    """The multi-turn entry point, when the chat service exists in this build."""
    chat = getattr(services, "chat", None)
    return None if chat is None else chat.chat


@contextlib.contextmanager
def corpus_services(settings: Settings, corpus: Path | None) -> Iterator[Services]:
    """Services over the configured index, or over a temporary index of `corpus` that is
    deleted afterwards (the default data directory is never opened)."""
    from rag.service import Services

    if corpus is None:
        yield Services(settings)
        return
    if not corpus.is_dir():
        raise EvalInputError(f"corpus folder not found: {corpus}")
    with tempfile.TemporaryDirectory(prefix="rag-eval-") as tmp:
        services = Services(settings.model_copy(update={"data_dir": Path(tmp)}))
        try:
            report = services.ingestor.ingest_paths([corpus])
            if not (report.added or report.replaced):
                raise EvalInputError(f"no article could be ingested from {corpus}")
            yield services
        finally:
            services.store.close()


def settings_snapshot(settings: Settings, top_k: int | None) -> dict[str, Any]:
    """The knobs that change scores, recorded with every report so results can be compared."""
    keys = (
        "embedding_model",
        "chunk_tokens",
        "chunk_overlap_tokens",
        "retrieve_candidates",
        "rrf_k",
        "dense_weight",
        "bm25_weight",
        "no_answer_threshold",
        "tie_margin",
        "rank_penalty",
        "reader_first_pass",
        "reader_stop_confidence",
        "reader_max_length",
        "reader_stride",
        "recency_weight",
        "recency_half_life_days",
        "period_weight",
        "period_grace_days",
        "reader_runtime",
        "reader_focus_tokens",
    )
    snap = {k: getattr(settings, k) for k in keys}
    snap["top_k"] = top_k or settings.top_k
    snap["reader_model"] = str(settings.reader_model)
    return snap


def read_testset(path: Path) -> EvalSet:
    if not path.is_file():
        raise EvalInputError(f"test set not found: {path}")
    testset = load_testset(path)
    if not testset.items:
        raise EvalInputError(f"{path}: no valid question in the file ({len(testset.errors)} malformed lines)")
    return testset


def run_eval(
    testset_path: Path,
    settings: Settings,
    corpus: Path | None = None,
    top_k: int | None = None,
    progress: bool = False,
    gold_docs: bool = False,
) -> EvalResult:
    """The whole `rag eval` run except output."""
    testset = read_testset(testset_path)
    with corpus_services(settings, corpus) as services:
        results, problems = evaluate(testset, services.pipeline.answer, top_k, chat_turn(services), progress, gold_docs)
        snapshot = settings_snapshot(settings, top_k) | {
            "no_answer_threshold_used": services.pipeline.threshold,
            "retrieval": "restricted to each question's doc_ids" if gold_docs else "open",
        }
    return EvalResult(str(testset_path), str(corpus) if corpus else None, results, testset.errors + problems, snapshot)
