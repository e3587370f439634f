"""Builds the working system from settings, once: the composition root every interface
(CLI, HTTP server, Slack bot, evaluation) shares."""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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
from rag.hardware import default_reader_runtime, native_dtype
from rag.reader.int8 import is_current
from rag.reader.model import Reader
from rag.reader.runtime import openvino_available
from rag.retrieve import Retriever
from rag.settings import Settings
from rag.timeprior import TimePrior

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


def reader_runtime(settings: Settings) -> str:
    """The configured reader runtime, or for `auto` the one rag/hardware.py picks for this CPU."""
    if settings.reader_runtime != "auto":
        return settings.reader_runtime
    int8_ready = settings.device == "cpu" and openvino_available() and is_current(settings.reader_model)
    runtime = default_reader_runtime(settings.device, int8_ready)
    if not int8_ready and settings.device == "cpu" and openvino_available():
        log.warning(
            "no current int8 build of %s: reading in %s, about 2x slower (run `rag build-reader-int8`)", settings.reader_model, runtime
        )
    if runtime.startswith("torch") and settings.model_dtype != "auto":  # an explicit dtype still decides torch's
        runtime = "torch-bf16" if settings.model_dtype == "bfloat16" else "torch-fp32"
    return runtime


@dataclass
class Services:
    """Lazily built components, so `rag ingest` never loads the reader and `rag delete` loads no model."""

    settings: Settings

    def __post_init__(self) -> None:
        configure_runtime(self.settings)
        self.load_seconds: dict[str, float] = {}
        self._warmed = False
        self._stop_warming = threading.Event()
        self.shapes_warm = threading.Event()  # set once every padded reader shape is built (/readyz says)

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
                runtime=reader_runtime(s),
                threads=s.torch_threads,
                device=s.device,
                focus_tokens=s.reader_focus_tokens,
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
            "time_prior": TimePrior(s.recency_weight, s.recency_half_life_days, s.period_weight, s.period_grace_days),
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

    def warm_up(self, shapes_in_background: bool = True) -> AnswerPipeline:
        """Load every model now (server start-up), not on the first request, and read one question so
        that the commonest shapes are built. Every other padded shape a question can take is built
        too, in a background thread by default: a server is ready in seconds, and a request that
        meets a shape not yet built is slower once, never refused. Benchmarks warm all shapes first.
        Idempotent: `rag serve` warms before binding and the app's lifespan asks again."""
        if self._warmed:
            return self.pipeline
        self._warmed = True
        # the two models load side by side: much of each load (OpenVINO compiling the reader, reading
        # weights, reading the first question) runs outside the GIL, so on two cores the reader loads and
        # reads while the embedder's imports run
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="load-reader") as pool:
            reader = pool.submit(self._load_reader)
            self.embedder.embed_query("warm up")
            reader.result()  # a load that failed fails here, as it would have in line
        pipeline = self.pipeline

        def warm_shapes() -> None:
            self.reader.warm_up(max_batch=self.settings.top_k, stop=self._stop_warming)
            self.shapes_warm.set()

        if shapes_in_background:
            thread = threading.Thread(target=warm_shapes, name="warm-reader-shapes", daemon=True)
            thread.start()
            # a process that exits while OpenVINO is mid-inference on this thread aborts: stop it first
            atexit.register(self._stop_warming_and_wait, thread)
        else:
            warm_shapes()
        return pipeline

    def _load_reader(self) -> None:
        """Loads the reader and reads one typical question, which builds the commonest shapes."""
        self.reader.predict([("what is warmed up first?", "The commonest shapes of a question are warmed first. " * 12)] * 2)

    def _stop_warming_and_wait(self, thread: threading.Thread) -> None:
        self._stop_warming.set()
        thread.join()
