"""Shared fixtures: a seed-corpus index built once per session with the real models."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"

from rag.service import Services  # noqa: E402
from rag.settings import Settings  # noqa: E402
from tests.support import SEEDS_DIR, running_server  # noqa: E402


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS_DIR


@pytest.fixture(scope="session")
def reader():
    """The shipped reader alone, loaded once for every test that reads with it directly."""
    from rag.reader.model import Reader

    s = Settings()
    return Reader(s.reader_model, max_length=s.reader_max_length, stride=s.reader_stride)


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory) -> Settings:
    """Settings over a fresh data directory holding the ingested seed corpus."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("seed-data"))
    services = Services(settings)
    report = services.ingestor.ingest_paths([SEEDS_DIR])
    assert not report.failed and len(report.added) == 5
    services.store.close()
    return settings


@pytest.fixture(scope="session")
def seed_services(seed_settings) -> Services:
    """One loaded pipeline shared by the tests that only read."""
    return Services(seed_settings)


@pytest.fixture(scope="session")
def live_server(seed_settings) -> str:
    """A real uvicorn server on 127.0.0.1 over the seed index; yields its base URL."""
    with running_server(seed_settings) as url:
        yield url
