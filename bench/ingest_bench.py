"""Ingest throughput: files in, searchable store out, timed through the product's own Ingestor."""

from __future__ import annotations

import time
from pathlib import Path

from rag.service import Services
from rag.settings import Settings


def bench_ingest(corpus_file: Path, data_dir: Path, text_bytes: int) -> dict:
    """Parse, chunk, embed, store and snapshot `corpus_file` into a fresh `data_dir`.

    The embedding model is loaded before the clock starts: ingest speed, not start-up.
    """
    services = Services(Settings(data_dir=data_dir))
    services.embedder.embed_passages(["warm up"])
    t0 = time.perf_counter()
    report = services.ingestor.ingest_paths([corpus_file])
    seconds = time.perf_counter() - t0
    if report.failed:
        raise RuntimeError(f"ingest failed for {len(report.failed)} documents: {report.failed[:3]}")
    docs, chunks = services.store.counts()
    services.store.close()
    return {
        "articles": docs,
        "chunks": chunks,
        "text_mb": round(text_bytes / 1e6, 2),
        "seconds": round(seconds, 1),
        "chunks_per_s": round(chunks / seconds, 1),
        "mb_per_s": round(text_bytes / 1e6 / seconds, 3),
        "articles_per_s": round(docs / seconds, 1),
    }
