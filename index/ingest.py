"""Files in, searchable store out: parse → chunk → embed → store → FAISS snapshot."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from index.chunk import Chunker
from index.embed import Embedder
from index.parse import ParseError, find_article_files, parse_file
from index.store import DEFAULT_COLLECTION, Store, valid_collection
from index.stories import StoryClusterer
from index.types import Article, Chunk
from index.vectors import write_snapshot

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)  # stored before, changed since: its chunks were replaced
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    chunks: int = 0

    def summary(self) -> str:
        parts = [f"{len(self.added)} added", f"{len(self.replaced)} replaced", f"{len(self.unchanged)} unchanged"]
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        return ", ".join(parts) + f"; {self.chunks} chunks embedded"


def parse_or_reason(path: Path) -> list[Article] | str:
    """A file's articles, or why it cannot be read: one bad file must not stop an ingest."""
    try:
        return parse_file(path)
    except (ParseError, OSError) as exc:
        return str(exc)


def unique_articles(
    parsed: Iterable[tuple[Path, list[Article] | str]], report: IngestReport, names: dict[Path, str] | None = None
) -> list[Article]:
    """The parsed articles in file order; failed files and repeated doc_ids go to `report.failed`.
    `names` (an upload's file names) stand for the paths of temporary copies, in the report and
    in the stored articles."""
    articles: list[Article] = []
    seen: dict[str, str] = {}
    for path, result in parsed:
        name = (names or {}).get(path, str(path))
        if isinstance(result, str):
            report.failed.append((name, result.replace(str(path), name)))
            continue
        for article in result:
            if article.doc_id in seen:
                report.failed.append((name, f"duplicate doc_id {article.doc_id!r} (also in {seen[article.doc_id]})"))
                continue
            seen[article.doc_id] = name
            articles.append(article if names is None else replace(article, path=name))
    return articles


class Ingestor:
    """Adds or replaces articles; each batch of documents is committed atomically, and the
    FAISS snapshot is written once at the end (a crash before that is repaired on load)."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        chunker: Chunker,
        data_dir: Path,
        vector_factory: str,
        batch_docs: int = 64,
        story_threshold: float = 0.5,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.chunker = chunker
        self.data_dir = Path(data_dir)
        self.vector_factory = vector_factory
        self.batch_docs = batch_docs
        self.stories = StoryClusterer(store, story_threshold)
        # a server ingests uploads on a thread pool and feeds on a watcher thread: each batch's
        # story assignment and its commit happen together, so the clusterer's in-memory index
        # is never changed by two threads at once nor ahead of the store by another's batch
        self._commit_lock = threading.Lock()
        store.check_embedding_model(embedder.model_name, embedder.dim)

    def ingest_paths(self, paths: list[Path], progress: bool = False, collection: str = DEFAULT_COLLECTION) -> IngestReport:
        """Raises FileNotFoundError before touching anything if a path is missing; a file that
        cannot be parsed is reported and skipped, the others are still ingested."""
        return self.ingest_files(find_article_files(paths), progress, collection)

    def ingest_files(
        self,
        files: list[Path],
        progress: bool = False,
        collection: str = DEFAULT_COLLECTION,
        names: dict[Path, str] | None = None,
    ) -> IngestReport:
        """Parse and ingest these files into `collection`; `names` (an upload's file names)
        stand for the paths, in the report and the stored articles, of temporary copies."""
        valid_collection(collection)
        report = IngestReport()
        articles = unique_articles(((path, parse_or_reason(path)) for path in files), report, names)
        self.ingest_articles(articles, report, progress, collection)
        return report

    def ingest_articles(
        self,
        articles: list[Article],
        report: IngestReport | None = None,
        progress: bool = False,
        collection: str = DEFAULT_COLLECTION,
    ) -> IngestReport:
        valid_collection(collection)
        report = report or IngestReport()
        chunked = [(a, self.chunker.chunk(a)) for a in self.changed(articles, report, collection)]
        bar = tqdm(total=sum(len(c) for _, c in chunked), unit="chunk", desc="embedding", disable=not progress)
        for lo in range(0, len(chunked), self.batch_docs):
            batch = chunked[lo : lo + self.batch_docs]
            texts = [c.text for _, chunks in batch for c in chunks]
            vectors = self.embedder.embed_passages(texts)
            items, offset = [], 0
            for article, chunks in batch:
                items.append((article, chunks, vectors[offset : offset + len(chunks)]))
                offset += len(chunks)
            self.commit(items, report, collection)
            bar.update(len(texts))
        bar.close()
        self.write_snapshot()  # a no-op when current; after a crash between commit and snapshot, the rerun writes it
        return report

    @property
    def recipe(self) -> str:
        """New chunk sizes or another embedding model make every stored chunk stale."""
        return f"{self.chunker.recipe}|{self.embedder.model_name}"

    def changed(self, articles: list[Article], report: IngestReport, collection: str = DEFAULT_COLLECTION) -> list[Article]:
        """The articles whose stored chunks in `collection` are missing or stale; the rest are reported unchanged."""
        todo = []
        for article in articles:
            if self.store.is_current(article, self.recipe, collection):
                report.unchanged.append(article.doc_id)
            else:
                todo.append(article)
        return todo

    def commit(
        self, items: list[tuple[Article, list[Chunk], np.ndarray]], report: IngestReport, collection: str = DEFAULT_COLLECTION
    ) -> None:
        """One transaction for a batch of embedded documents (the plain and the Ray ingest both write here)."""
        for article, _, _ in items:
            existed = self.store.document(article.doc_id, collection) is not None
            (report.replaced if existed else report.added).append(article.doc_id)
        with self._commit_lock:
            assigned = {a.doc_id: self.stories.assign(a, collection) for a, _, _ in items}
            try:
                self.store.upsert(items, self.recipe, collection, {d: (s.story_id, s.minhash) for d, s in assigned.items()})
            except BaseException:
                self.stories.reset()
                raise
            self.stories.committed()
        report.chunks += sum(len(chunks) for _, chunks, _ in items)

    def delete(self, doc_id: str, collection: str = DEFAULT_COLLECTION) -> bool:
        deleted = self.store.delete(doc_id, collection)
        if deleted:
            self.write_snapshot()
        return deleted

    def write_snapshot(self) -> Path:
        return write_snapshot(self.data_dir, self.store, self.vector_factory, self.embedder.dim)
