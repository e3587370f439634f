"""Files in, searchable store out: parse → chunk → embed → store → FAISS snapshot."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

from tqdm import tqdm

from index.chunk import Chunker
from index.embed import Embedder
from index.parse import ParseError, find_article_files, parse_file
from index.store import DEFAULT_COLLECTION, Store, valid_collection
from index.stories import StoryClusterer
from index.types import Article
from index.vectors import write_snapshot

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    chunks: int = 0

    def summary(self) -> str:
        parts = [f"{len(self.added)} added", f"{len(self.updated)} updated", f"{len(self.unchanged)} unchanged"]
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        return ", ".join(parts) + f"; {self.chunks} chunks embedded"


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
        articles: list[Article] = []
        seen: dict[str, str] = {}
        for path in files:
            name = (names or {}).get(path, str(path))
            try:
                parsed = parse_file(path)
            except (ParseError, OSError) as exc:
                report.failed.append((name, str(exc).replace(str(path), name)))
                continue
            for article in parsed:
                if article.doc_id in seen:
                    report.failed.append((name, f"duplicate doc_id {article.doc_id!r} (also in {seen[article.doc_id]})"))
                    continue
                seen[article.doc_id] = name
                articles.append(article if names is None else replace(article, path=name))
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
        # new chunk sizes or another embedding model make every stored chunk stale
        recipe = f"{self.chunker.recipe}|{self.embedder.model_name}"
        todo = []
        for article in articles:
            if self.store.is_current(article, recipe, collection):
                report.unchanged.append(article.doc_id)
            else:
                todo.append(article)
        chunked = [(a, self.chunker.chunk(a)) for a in todo]
        bar = tqdm(total=sum(len(c) for _, c in chunked), unit="chunk", desc="embedding", disable=not progress)
        for lo in range(0, len(chunked), self.batch_docs):
            batch = chunked[lo : lo + self.batch_docs]
            texts = [c.text for _, chunks in batch for c in chunks]
            vectors = self.embedder.embed_passages(texts)
            items, offset = [], 0
            for article, chunks in batch:
                items.append((article, chunks, vectors[offset : offset + len(chunks)]))
                offset += len(chunks)
                existed = self.store.document(article.doc_id, collection) is not None
                (report.updated if existed else report.added).append(article.doc_id)
            with self._commit_lock:
                assigned = {a.doc_id: self.stories.assign(a, collection) for a, _ in batch}
                try:
                    self.store.upsert(items, recipe, collection, {d: (s.story_id, s.minhash) for d, s in assigned.items()})
                except BaseException:
                    self.stories.reset()
                    raise
                self.stories.committed()
            report.chunks += len(texts)
            bar.update(len(texts))
        bar.close()
        self.write_snapshot()  # a no-op when current; after a crash between commit and snapshot, the rerun writes it
        return report

    def delete(self, doc_id: str, collection: str = DEFAULT_COLLECTION) -> bool:
        deleted = self.store.delete(doc_id, collection)
        if deleted:
            self.write_snapshot()
        return deleted

    def write_snapshot(self) -> Path:
        return write_snapshot(self.data_dir, self.store, self.vector_factory, self.embedder.dim)
