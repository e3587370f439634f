"""Joining (or starting) the Ray cluster that `rag ingest --ray` and `rag serve --ray` run on.

Ray is an optional extra (`pip install -e ".[cluster]"`): it is imported inside connect() and
disconnect() only, which only the `--ray` code paths call, so `rag ingest`, `rag serve` and
`make run` never load Ray.
"""

from __future__ import annotations

import os
import shutil
import tempfile

from index.errors import RagError

# the temp dir of the local cluster this process started, removed when it leaves
_local_temp_dir: str | None = None


class ClusterError(RagError, RuntimeError):
    """Ray is missing or the cluster cannot be reached; the message says what to do (a usage error: exit 2)."""

    exit_code = 2


def connect(address: str, num_cpus: int | None = None) -> None:
    """`local`: a throwaway single-node cluster on this machine that ends with this process (no
    dashboard: on a small machine it costs memory and CPU for nothing; Ray's own ports use the
    node's address, as Ray insists, behind its token authentication, while the HTTP proxy of
    `rag serve --ray` binds RAG_HOST, 127.0.0.1 by default); `auto`: the cluster this node
    belongs to (`ray start`); `ray://host:port`: a remote cluster through Ray Client."""
    try:
        import ray
    except ImportError:
        raise ClusterError('Ray is not installed: pip install -e ".[cluster]" (see docs/scale.md)') from None
    if ray.is_initialized():
        return
    if address == "local":
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage report: loopback only
        # Its own cluster, never one already running on the machine (another test's, a `ray start`):
        # RAY_ADDRESS would point this process's later Ray calls (and the processes it starts) at
        # that one, and Ray's shared /tmp/ray holds the "current cluster" that `auto` looks up.
        # A private temp dir keeps this cluster's sessions, sockets and that pointer to itself.
        os.environ.pop("RAY_ADDRESS", None)
        global _local_temp_dir
        _local_temp_dir = tempfile.mkdtemp(prefix="rag-ray-")  # short: Ray's socket paths must fit 107 bytes
        ray.init(
            address="local",
            num_cpus=num_cpus,
            include_dashboard=False,
            configure_logging=False,
            _temp_dir=_local_temp_dir,
        )
        return
    if address != "auto" and not address.startswith("ray://"):
        raise ClusterError(f"--ray takes local, auto or ray://HOST:PORT, not {address!r}")
    try:
        ray.init(address=address, configure_logging=False)
    except ConnectionError as exc:
        raise ClusterError(f"cannot reach the Ray cluster at {address}: {exc}") from None


def disconnect() -> None:
    """Leave the cluster (a `local` one stops with it, and its temp dir goes)."""
    import ray

    global _local_temp_dir
    ray.shutdown()
    if _local_temp_dir is not None:
        shutil.rmtree(_local_temp_dir, ignore_errors=True)
        _local_temp_dir = None
