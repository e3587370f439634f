"""Builds the working system from settings, once: the composition root every interface
(CLI, HTTP server, Slack bot, evaluation) shares."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any

from index.chunk import Chunker
from index.embed import Embedder
from index.ingest import Ingestor
from index.store import Store
from index.vectors import VectorIndex
from rag.answer import AnswerPipeline
from rag.conversation import ChatEngine, ConversationStore
from rag.hardware import native_dtype
from rag.reader.model import Reader
from rag.retrieve import Retriever
from rag.settings import Settings

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)


def configure_runtime(settings: Settings) -> None:
    """No hub at run time, and torch sized to the machine."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    if settings.torch_threads:
        import torch

        torch.set_num_threads(settings.torch_threads)


def model_dtype(settings: Settings) -> torch.dtype:
    """The torch dtype both models run in: the configured one, or for `auto` the machine's native one."""
    import torch

    if settings.model_dtype == "auto":
        return native_dtype(settings.device)
    return getattr(torch, settings.model_dtype)


@dataclass
class Services:
    """Lazily built components, so `rag ingest` never loads the reader and `rag delete` loads no model."""

    settings: Settings

    def __post_init__(self) -> None:
        configure_runtime(self.settings)
        self.load_seconds: dict[str, float] = {}

    def _timed(self, name: str, build):
        t = time.perf_counter()
        value = build()
        self.load_seconds[name] = round(time.perf_counter() - t, 2)
        return value

    @cached_property
    def store(self) -> Store:
        return Store(self.settings.db_path)

    @cached_property
    def embedder(self) -> Embedder:
        return self._timed("embedder", self.embedder_factory())

    def embedder_factory(self) -> Callable[[], Embedder]:
        """What builds the embedder, as a picklable callable: `rag ingest --ray` builds the same one in each actor."""
        s = self.settings
        return partial(Embedder, s.embedding_model, s.device, dtype=model_dtype(s))

    @cached_property
    def reader(self) -> Reader:
        s = self.settings
        return self._timed(
            "reader",
            lambda: Reader(
                s.reader_model,
                max_length=s.reader_max_length,
                stride=s.reader_stride,
                max_answer_tokens=s.reader_max_answer_tokens,
                quantize=s.reader_quantize,
                dtype=model_dtype(s),
                device=s.device,
            ),
        )

    @cached_property
    def chunker(self) -> Chunker:
        return Chunker(max_tokens=self.settings.chunk_tokens, overlap_tokens=self.settings.chunk_overlap_tokens)

    @cached_property
    def vectors(self) -> VectorIndex:
        s = self.settings
        return self._timed(
            "vectors",
            lambda: VectorIndex(self.store, s.data_dir, s.vector_index, self.embedder.dim, s.vector_search_params),
        )

    @cached_property
    def ingestor(self) -> Ingestor:
        s = self.settings
        return Ingestor(
            self.store,
            self.embedder,
            self.chunker,
            s.data_dir,
            s.vector_index,
            batch_docs=s.ingest_batch_docs,
            story_threshold=s.story_threshold,
        )

    @cached_property
    def retriever(self) -> Retriever:
        s = self.settings
        return Retriever(
            self.store,
            self.vectors,
            self.embedder,
            candidates=s.retrieve_candidates,
            rrf_k=s.rrf_k,
            dense_weight=s.dense_weight,
            bm25_weight=s.bm25_weight,
            boost_weight=s.followup_boost,
            one_copy_per_story=s.one_copy_per_story,
        )

    def pipeline_options(self) -> dict[str, Any]:
        """AnswerPipeline's keyword arguments, from Settings (a variant: `{**options, name: value}`)."""
        s = self.settings
        return {
            "top_k": s.top_k,
            "no_answer_threshold": s.no_answer_threshold,
            "tie_margin": s.tie_margin,
            "rank_penalty": s.rank_penalty,
            "first_pass": s.reader_first_pass,
            "stop_confidence": s.reader_stop_confidence,
        }

    @cached_property
    def pipeline(self) -> AnswerPipeline:
        return AnswerPipeline(self.retriever, self.reader, **self.pipeline_options())

    @cached_property
    def conversations(self) -> ConversationStore:
        s = self.settings
        return ConversationStore(s.conversations_path, s.conversation_ttl_seconds, s.conversation_max_turns)

    @cached_property
    def chat(self) -> ChatEngine:
        return ChatEngine(self.pipeline, self.conversations)

    def warm_up(self) -> AnswerPipeline:
        """Load every model now (server start-up), not on the first request."""
        pipeline = self.pipeline
        self.embedder.embed_query("warm up")
        self.reader.warm_up(max_batch=self.settings.top_k)
        return pipeline
