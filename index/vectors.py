"""FAISS snapshots of the store's vectors, keyed by chunk id.

The database is the truth; a snapshot file `vectors-<generation>.faiss` is a cache of
it. Bringing an index up to date means diffing its ids against the store's: remove
what is gone (`remove_ids`), add what is new (`add_with_ids`). That same diff serves a
writer after an ingest, a server picking up an ingest that ran beside it, and a
restart after a crash left the newest snapshot behind the database.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from pathlib import Path

import faiss
import numpy as np

from index.errors import RagError
from index.store import Filters, Store

log = logging.getLogger(__name__)

_SNAPSHOT = re.compile(r"^vectors-(\d+)\.faiss$")
_TEMP = re.compile(r"^vectors-\d+\.tmp(\d+)$")


class VectorIndexError(RagError, RuntimeError):
    pass


def new_index(factory: str, dim: int) -> faiss.Index:
    """An empty index from a faiss factory string; it must map our chunk ids ("IDMap,…" or IVF)."""
    try:
        index = faiss.index_factory(dim, factory, faiss.METRIC_INNER_PRODUCT)
    except RuntimeError as exc:
        raise VectorIndexError(f"invalid faiss index description {factory!r}: {exc}") from None
    return index


def index_ids(index: faiss.Index) -> np.ndarray:
    if isinstance(index, faiss.IndexIDMap):
        return faiss.vector_to_array(index.id_map).astype(np.int64)
    invlists = faiss.extract_index_ivf(index).invlists
    return np.concatenate(
        [faiss.rev_swig_ptr(invlists.get_ids(i), invlists.list_size(i)).copy() for i in range(invlists.nlist)] or [np.zeros(0, np.int64)]
    )


def sync_index(index: faiss.Index | None, store: Store, factory: str, dim: int) -> faiss.Index:
    """Bring `index` (modified in place; None = start empty) to exactly the store's chunks."""
    with store.snapshot():  # ids and vectors from one state, even while an ingest commits
        wanted = store.chunk_ids()
        if index is None or index.d != dim:
            index = new_index(factory, dim)
        have = index_ids(index) if index.ntotal else np.zeros(0, np.int64)
        gone = np.setdiff1d(have, wanted)
        if len(gone):
            try:
                index.remove_ids(faiss.IDSelectorBatch(gone))
            except RuntimeError:  # index types without removal (HNSW): rebuild from the store
                return sync_index(None, store, factory, dim)
        new = np.setdiff1d(wanted, have)
        if len(new):
            vectors = store.vectors(new, dim)
            if not index.is_trained:
                index.train(store.vectors(wanted, dim))
            index.add_with_ids(vectors, new)
    return index


def snapshot_path(data_dir: Path, generation: int) -> Path:
    return data_dir / f"vectors-{generation:08d}.faiss"


def latest_snapshot(data_dir: Path) -> tuple[int, Path] | None:
    found = [(int(m[1]), p) for p in data_dir.glob("vectors-*.faiss") if (m := _SNAPSHOT.match(p.name))]
    return max(found) if found else None


def read_snapshot(path: Path) -> faiss.Index:
    try:
        return faiss.read_index(str(path))
    except RuntimeError as exc:
        raise VectorIndexError(f"{path} is corrupt ({str(exc).splitlines()[0]})") from None


def load_current(data_dir: Path, store: Store, factory: str, dim: int) -> tuple[int, faiss.Index]:
    """The index at the store's generation: the newest snapshot, brought up to date if it lags
    behind the database (crash, concurrent ingest) or rebuilt if it is missing or corrupt."""
    generation = store.generation()
    latest = latest_snapshot(data_dir)
    index = None
    if latest:
        try:
            index = read_snapshot(latest[1])
        except VectorIndexError as exc:
            log.warning("%s; rebuilding the vectors from the database", exc)
        else:
            if latest[0] == generation:
                return generation, index
    return generation, sync_index(index, store, factory, dim)


def _remove_orphaned_temp_files(data_dir: Path) -> None:
    """A writer killed mid-write leaves `vectors-N.tmp<pid>` behind, as large as the index;
    remove those whose writer is gone (a live one may still be writing)."""
    for path in data_dir.glob("vectors-*.tmp*"):
        if (m := _TEMP.match(path.name)) and not _process_alive(int(m[1])):
            path.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def write_snapshot(data_dir: Path, store: Store, factory: str, dim: int) -> Path:
    """Update the newest snapshot to the store's generation and write it atomically (tmp + rename)."""
    _remove_orphaned_temp_files(data_dir)
    target = snapshot_path(data_dir, store.generation())
    if target.exists():
        return target
    generation, index = load_current(data_dir, store, factory, dim)
    target = snapshot_path(data_dir, generation)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    faiss.write_index(index, str(tmp))
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    for p in data_dir.glob("vectors-*.faiss"):
        if p != target:
            p.unlink(missing_ok=True)
    return target


class VectorIndex:
    """The searchable vectors a process holds; refreshes itself when the store's generation moves.

    A refresh builds a new index and swaps the reference, so a search already running
    keeps the snapshot it started with.
    """

    def __init__(self, store: Store, data_dir: Path, factory: str, dim: int, search_params: str = "") -> None:
        self.store = store
        self.data_dir = Path(data_dir)
        self.factory = factory
        self.dim = dim
        self.search_params = search_params  # faiss ParameterSpace string, e.g. "efSearch=64" or "nprobe=16"
        self._lock = threading.Lock()
        generation, index = load_current(self.data_dir, store, factory, dim)
        self.generation, self.index = generation, self._tuned(index)

    def _tuned(self, index: faiss.Index) -> faiss.Index:
        if self.search_params:
            faiss.ParameterSpace().set_index_parameters(index, self.search_params)
        return index

    def refresh(self) -> bool:
        """Pick up an ingest that happened since the last call; True when something changed."""
        if self.store.generation() == self.generation:
            return False
        with self._lock:
            generation = self.store.generation()
            if generation == self.generation:
                return False
            try:  # the writer's snapshot, when it has written one (it may be replaced meanwhile)
                index = read_snapshot(snapshot_path(self.data_dir, generation))
            except VectorIndexError:
                index = sync_index(faiss.clone_index(self.index), self.store, self.factory, self.dim)
            self.generation, self.index = generation, self._tuned(index)
            log.info("vector index refreshed to generation %d (%d vectors)", generation, index.ntotal)
            return True

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def search(self, query: np.ndarray, k: int, filters: Filters | None = None) -> list[tuple[int, float]]:
        index = self.index
        if index.ntotal == 0 or k <= 0:
            return []
        params = None
        if filters is not None and not filters.is_empty():
            allowed = self.store.chunk_ids(filters)
            if len(allowed) == 0:
                return []
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))
        scores, ids = index.search(np.asarray(query, np.float32).reshape(1, -1), min(k, index.ntotal), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
