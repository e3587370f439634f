"""Cross-cutting request handling, one module a job: request ids and the access log
(request_context), JSON logs (logging_json), metrics, API keys and rate limits (api_keys),
body limits (body_limit), model-call deadlines (timeouts), the error shapes they write
(errors) and their place in the OpenAPI document (openapi_errors). `install()` wires them
into an app, in the one order that works.
"""

from __future__ import annotations

from fastapi import FastAPI

from rag.access import KeyRing
from rag.settings import Settings
from server.middleware.api_keys import ApiKeyMiddleware
from server.middleware.body_limit import BodyLimitMiddleware
from server.middleware.metrics import Metrics
from server.middleware.openapi_errors import document_errors
from server.middleware.request_context import RequestContextMiddleware
from server.middleware.timeouts import ModelCalls, ModelTimeout, model_timeout_handler


def install(app: FastAPI, settings: Settings) -> None:
    """Metrics, model-call timeouts, then API keys inside the body limit inside request context
    (the last middleware added runs first)."""
    app.state.metrics = Metrics(app)
    app.state.model_calls = ModelCalls(settings.model_timeout_seconds, settings.model_concurrency)
    app.add_exception_handler(ModelTimeout, model_timeout_handler)
    document_errors(app, settings)
    app.state.keys = KeyRing([k.get_secret_value() for k in settings.api_keys], settings.keys_file)
    app.add_middleware(
        ApiKeyMiddleware,
        keys=app.state.keys,
        rate=settings.rate_limit_per_second,
        burst=settings.rate_limit_burst,
    )
    app.add_middleware(
        BodyLimitMiddleware,
        default=(settings.max_body_bytes, "RAG_MAX_BODY_BYTES"),
        per_path={"/v1/documents": (settings.max_upload_bytes, "RAG_MAX_UPLOAD_BYTES")},
    )
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)
