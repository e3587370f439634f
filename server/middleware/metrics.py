"""Prometheus metrics (served at GET /metrics by server/routes/health.py): traffic, latency by route and by pipeline stage, answer
rate, index size.

Every app gets its own CollectorRegistry (not prometheus-client's global one) so that several
apps in one process (the test suite) never collide on metric names. Stage latencies come
from the `timings_ms` the pipeline already returns in each Answer, so rag/ knows nothing of
Prometheus.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from rag.types import Answer

# Seconds; a CPU reader answers in 0.05-5 s, a queued request can wait up to the model timeout.
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
STAGE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class _IndexCollector(Collector):
    """Index size read at scrape time, so it follows ingests that ran in another process."""

    def __init__(self, app) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        services = getattr(self.app.state, "services", None)
        if services is None or not getattr(self.app.state, "ready", False):
            return
        documents, chunks = services.store.counts()
        for name, doc, value in (
            ("rag_index_documents", "articles in the index", documents),
            ("rag_index_chunks", "chunks in the index", chunks),
            ("rag_index_vectors", "vectors in this process's FAISS index", len(services.vectors)),
            ("rag_index_generation", "committed index changes this process has loaded", services.vectors.generation),
        ):
            yield GaugeMetricFamily(name, doc, value=value)


class Metrics:
    def __init__(self, app) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "rag_http_requests",
            "HTTP requests by route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "rag_http_request_duration_seconds",
            "HTTP request latency by route template and status",
            ["method", "route", "status"],
            buckets=REQUEST_BUCKETS,
            registry=self.registry,
        )
        self.stages = Histogram(
            "rag_pipeline_stage_seconds",
            "time spent in each stage of answering (embed, dense, bm25, fuse, read, total)",
            ["stage"],
            buckets=STAGE_BUCKETS,
            registry=self.registry,
        )
        self.answers = Counter("rag_answers", "questions answered, by outcome (answer or no_answer)", ["outcome"], registry=self.registry)
        self.questions = Counter(
            "rag_collection_questions",
            'questions by each collection they searched ("*": every collection)',
            ["collection"],
            registry=self.registry,
        )
        self.registry.register(_IndexCollector(app))

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        labels = (method, route, str(status))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)

    def observe_answer(self, answer: Answer, collections: tuple[str, ...] | None = None) -> None:
        for collection in ("*",) if collections is None else collections:
            self.questions.labels(collection).inc()
        for key, ms in answer.timings_ms.items():
            self.stages.labels(key.removesuffix("_ms")).observe(ms / 1000)
        self.answers.labels("no_answer" if answer.answer is None else "answer").inc()


def observe_answer(request: Request, answer: Answer, collections: tuple[str, ...] | None = None) -> None:
    """Call from any route that returns an Answer (ask, chat, OpenAI-compatible, Slack), with
    the collections it searched (None: every collection)."""
    metrics: Metrics | None = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.observe_answer(answer, collections)
