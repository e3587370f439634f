"""Schemathesis against the real server's OpenAPI schema: for generated requests, valid and
invalid, every operation answers without a 5xx and with a body that matches its documented
schema. API keys are on (the requests carry one), so the auth layer is fuzzed too; the rate
limit is set out of reach so that it does not hide the routes behind 429s."""

from __future__ import annotations

import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from pydantic import SecretStr
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from rag.settings import Settings
from server.app import create_app
from tests.support import running_server

KEY = "fuzz-key-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def fuzz_server(seed_settings, tmp_path_factory) -> str:
    data_dir = tmp_path_factory.mktemp("fuzz") / "data"
    shutil.copytree(seed_settings.data_dir, data_dir)  # chat writes conversations: keep them off the shared index
    config = seed_settings.model_copy(
        update={"data_dir": data_dir, "api_keys": [SecretStr(KEY)], "rate_limit_per_second": 1000.0, "rate_limit_burst": 1000}
    )
    with running_server(config) as url:
        yield url


# The schema comes from the app object (cheap: models load in the lifespan, not here), because
# schemathesis's lazy fixture loader does not work with this pytest; the requests still go
# to the real server above, over HTTP.
schema = schemathesis.openapi.from_dict(create_app(Settings(api_keys=[KEY])).openapi())  # documents 401/429 too


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_5xx_and_responses_match_the_schema(case, fuzz_server):
    case.call_and_validate(base_url=fuzz_server, headers=AUTH, checks=[not_a_server_error, response_schema_conformance], timeout=120)
