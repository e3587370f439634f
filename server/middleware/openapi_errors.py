"""Put the operations layer's answers (401, 429, 413, 503) and the bearer scheme into the OpenAPI
document, for every operation, whichever module added it.

Routes cannot declare these themselves: the middleware gives them, and routes from other
modules are added after it is installed. So the finished document is patched, once, when it
is first built. Clients then see the error shapes in /docs (with an Authorize button when
keys are on), and schemathesis checks our error bodies against the schema as well.
"""

from __future__ import annotations

from fastapi import FastAPI

from rag.settings import Settings
from server.middleware.api_keys import is_public

ERROR_BODY = {
    "title": "ErrorBody",
    "type": "object",
    "properties": {
        "error": {"type": "string", "description": "what went wrong, for a person"},
        "detail": {"description": "the same, or FastAPI's detail"},
        "request_id": {"type": "string", "description": "quote it when reporting a problem"},
    },
    "required": ["detail"],
}


def _response(description: str, header: str | None = None) -> dict:
    response: dict = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }
    if header:
        response["headers"] = {header: {"schema": {"type": "string"}}}
    return response


def document_errors(app: FastAPI, settings: Settings) -> None:
    keys = bool(settings.api_keys) or settings.keys_file is not None
    limited = keys and settings.rate_limit_per_second > 0
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        schema.setdefault("components", {}).setdefault("schemas", {})["ErrorBody"] = ERROR_BODY
        if keys:
            schema["components"].setdefault("securitySchemes", {})["bearer"] = {"type": "http", "scheme": "bearer"}
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                if keys and not is_public(path):
                    operation["security"] = [{"bearer": []}]
                    responses.setdefault("401", _response("missing or wrong API key", "WWW-Authenticate"))
                if limited and not is_public(path):
                    responses.setdefault("429", _response("this key's rate limit is spent", "Retry-After"))
                if "requestBody" in operation:
                    responses.setdefault("413", _response("request body over RAG_MAX_BODY_BYTES"))
                    responses.setdefault("503", _response("the model did not answer in time", "Retry-After"))
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the schema
