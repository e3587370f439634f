"""The `--ray` options' edges: the plain commands never import Ray, and bad cluster options are
one-line usage errors (exit 2) before any cluster starts or any model loads."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.serve_process import RAG, rag_env
from tests.support import SEEDS_DIR

PLAIN_INGEST = """
import sys
from cli.main import main
code = main(["ingest", "-q", sys.argv[1]])
loaded = sorted(m for m in sys.modules if m == "ray" or m.startswith("ray."))
print(code, loaded)
"""


def test_the_plain_ingest_never_imports_ray(tmp_path):
    seed = sorted(SEEDS_DIR.glob("*.txt"))[0]
    done = subprocess.run(
        [sys.executable, "-c", PLAIN_INGEST, str(seed)], env=rag_env(tmp_path), capture_output=True, text=True, timeout=300
    )
    assert done.stdout.strip().splitlines()[-1] == "0 []", done.stdout + done.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["ingest", "--ray", "tcp://nowhere", str(SEEDS_DIR)], "--ray takes local, auto or ray://HOST:PORT"),
        (["ingest", "--ray", "local", "--actors", "0", str(SEEDS_DIR)], "--actors must be at least 1"),
        (["serve", "--ray", "local", "--replicas", "0"], "--replicas must be at least 1"),
        (["serve", "--ray", "local", "--min-replicas", "3", "--max-replicas", "2"], "--min-replicas <= --max-replicas"),
        (["serve", "--replicas", "2"], "need --ray ADDRESS"),
        (["ingest", "--actors", "2", str(SEEDS_DIR)], "--actors needs --ray ADDRESS"),
    ],
)
def test_bad_cluster_options_are_usage_errors(args, message, seed_settings):
    done = subprocess.run([str(RAG), *args], env=rag_env(seed_settings.data_dir), capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


OWN_CLUSTER = """
import os
from pathlib import Path
import ray
from index import ray_cluster
connect_to_elsewhere = os.environ["RAY_ADDRESS"]
ray_cluster.connect("local", num_cpus=1)
session = Path(ray._private.worker.global_worker.node.get_session_dir_path())
own = Path(ray_cluster._local_temp_dir)
print(ray.get_runtime_context().gcs_address != connect_to_elsewhere, own in session.parents, "RAY_ADDRESS" in os.environ)
ray_cluster.disconnect()
print(own.exists())
"""


def test_local_is_a_cluster_of_its_own(tmp_path):
    """`--ray local` never joins a cluster already on the machine: a RAY_ADDRESS in the environment
    is not followed, and the cluster keeps its sessions in its own temp dir (not the /tmp/ray that
    `auto` looks in), removed when it stops."""
    env = {**rag_env(tmp_path), "RAY_ADDRESS": "127.0.0.1:6379"}
    done = subprocess.run([sys.executable, "-c", OWN_CLUSTER], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "True", "False", "False"], done.stdout + done.stderr[-2000:]
