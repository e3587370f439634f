"""`rag ingest --ray ADDRESS PATH...`: the plain ingest's steps spread over a Ray cluster.

Embedding is the CPU-bound part of an ingest and parallel by nature, so it runs in a pool
of Ray Data actors that each load the model once; parsing runs as Ray Data tasks, and
chunking (a map that Ray Data fuses into the actors' stage) just before the embedding. The vectors come back to this process, which writes them through the store's single
writer in the same document transactions as `rag ingest` (Ingestor.commit), in file order,
and then the same FAISS snapshot: the index is the one a plain ingest builds, and a kill -9
leaves every document wholly old or wholly new. Workers read the article files, so on several
machines those live on storage every node mounts; only this process opens the data directory.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import ray
import ray.data

from index.chunk import Chunker
from index.embed import Embedder
from index.ingest import Ingestor, IngestReport, parse_or_reason, unique_articles
from index.parse import find_article_files
from index.store import DEFAULT_COLLECTION, valid_collection
from index.types import Article, Chunk


@dataclass
class RayIngestReport:
    """The plain report plus what a cluster run is judged by."""

    report: IngestReport
    files: int
    seconds: float

    def summary(self) -> str:
        rate = self.report.chunks / self.seconds if self.seconds else 0.0
        return f"{self.files} files, {self.report.chunks} chunks in {self.seconds:.1f} s ({rate:.1f} chunks/s); {self.report.summary()}"


def _article_row(article: Article) -> dict[str, Any]:
    """Plain columns (Arrow holds them without pickling); dates as ISO strings."""
    row = dataclasses.asdict(article)
    row["date"] = article.date.isoformat() if article.date else None
    return row


def _row_article(row: dict[str, Any]) -> Article:
    fields = {f.name: row[f.name] for f in dataclasses.fields(Article)}
    fields["date"] = dt.date.fromisoformat(fields["date"]) if fields["date"] else None
    fields["body_start"] = int(fields["body_start"])
    return Article(**fields)


def _parse(row: dict[str, Any]) -> dict[str, Any]:
    """One file: its articles, or why it failed (reported by name, the others go on)."""
    result = parse_or_reason(Path(row["path"]))
    if isinstance(result, str):
        return {"path": row["path"], "error": result, "articles": []}
    return {"path": row["path"], "error": None, "articles": [_article_row(a) for a in result]}


def _chunk(row: dict[str, Any], max_tokens: int, overlap_tokens: int) -> dict[str, Any]:
    """One article's chunk boundaries; the texts are slices of the article, rebuilt where needed."""
    chunks = Chunker(max_tokens=max_tokens, overlap_tokens=overlap_tokens).chunk(_row_article(row))  # the tokenizer is cached per worker
    return {
        "doc_id": row["doc_id"],
        "text": row["text"],
        "starts": [c.start for c in chunks],
        "ends": [c.end for c in chunks],
        "tokens": [c.tokens for c in chunks],
    }


class EmbedChunks:
    """A Ray Data actor: loads the embedding model once (as `rag serve` does), then embeds
    batches of documents' chunks; each row gets its vectors as float32 bytes."""

    def __init__(self, make_embedder: Callable[[], Embedder]) -> None:
        self.embedder = make_embedder()

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, Any]:
        texts = [text[s:e] for text, starts, ends in zip(batch["text"], batch["starts"], batch["ends"]) for s, e in zip(starts, ends)]
        vectors = self.embedder.embed_passages(texts)
        out, offset = [], 0
        for starts in batch["starts"]:
            out.append(vectors[offset : offset + len(starts)].tobytes())
            offset += len(starts)
        return {"doc_id": batch["doc_id"], "starts": batch["starts"], "ends": batch["ends"], "tokens": batch["tokens"], "vectors": out}


def _embedded(
    ingestor: Ingestor, articles: list[Article], make_embedder: Callable[[], Embedder], actors: int
) -> Iterator[tuple[Article, list[Chunk], np.ndarray]]:
    """Chunk and embed on the cluster; yields in the articles' order (so chunk ids match a plain ingest)."""
    by_id = {a.doc_id: a for a in articles}
    dataset = (
        ray.data.from_items([_article_row(a) for a in articles])
        .map(_chunk, fn_args=(ingestor.chunker.max_tokens, ingestor.chunker.overlap_tokens))
        .map_batches(
            EmbedChunks,
            fn_constructor_args=(make_embedder,),
            batch_size=ingestor.batch_docs,
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=1,
        )
    )
    dim = ingestor.embedder.dim
    for row in dataset.iter_rows():
        article = by_id[row["doc_id"]]
        chunks = [
            Chunk(article.doc_id, n, int(s), int(e), article.text[s:e], int(t))
            for n, (s, e, t) in enumerate(zip(row["starts"], row["ends"], row["tokens"]))
        ]
        yield article, chunks, np.frombuffer(row["vectors"], dtype=np.float32).reshape(len(chunks), dim)


def ray_ingest(
    paths: list[Path],
    ingestor: Ingestor,
    make_embedder: Callable[[], Embedder],
    actors: int | None = None,
    progress: bool = True,
    collection: str = DEFAULT_COLLECTION,
) -> RayIngestReport:
    """Ingest `paths` through the connected Ray cluster (index/ray_cluster.connect) into `ingestor`'s store.

    `make_embedder`: builds, in each actor, the embedder `ingestor` uses (picklable, e.g. a
    functools.partial of Embedder). `actors`: embedding actors (default one per CPU of the
    cluster). Raises FileNotFoundError before anything runs if a path is missing."""
    valid_collection(collection)
    files = find_article_files(paths)
    t0 = time.perf_counter()
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True  # commit in file order, as the plain ingest does
    context.enable_progress_bars = progress
    actors = actors or max(1, int(ray.cluster_resources().get("CPU", 1)))
    report = IngestReport()
    parsed = ray.data.from_items([{"path": str(p)} for p in files]).map(_parse).take_all() if files else []
    articles = unique_articles(
        ((Path(r["path"]), r["error"] if r["error"] is not None else [_row_article(a) for a in r["articles"]]) for r in parsed),
        report,
    )
    todo = ingestor.changed(articles, report, collection)
    batch: list[tuple[Article, list[Chunk], np.ndarray]] = []
    for item in _embedded(ingestor, todo, make_embedder, actors) if todo else ():
        batch.append(item)
        if len(batch) == ingestor.batch_docs:
            ingestor.commit(batch, report, collection)
            batch = []
    if batch:
        ingestor.commit(batch, report, collection)
    ingestor.write_snapshot()
    return RayIngestReport(report, len(files), time.perf_counter() - t0)
