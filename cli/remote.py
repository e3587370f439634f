"""`rag ask` through a running server: an answer in a second instead of loading every model for it.

A shell command that loads torch, the embedder and the reader for one question spends seconds on
start-up (7-8 s measured, 12-14 s on a busy machine) and milliseconds on the answer. So `rag ask`
first asks the server at RAG_SERVER_URL (default: this machine's `rag serve` address) and reads the
answer itself only when no server is ready there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

import httpx

from rag.question import Question
from rag.settings import Settings
from rag.types import Answer

READY_TIMEOUT_S = 0.5  # a server that does not say ready this fast is treated as absent


class ServerRefused(RuntimeError):
    """The server answered with an error (bad key, invalid question): said as it said it, not retried locally."""


def server_url(settings: Settings) -> str:
    if settings.server_url:
        return settings.server_url.rstrip("/")
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    return f"http://{host}:{settings.port}"


def ready_server(settings: Settings) -> str | None:
    """The server's URL when one is up and ready there, else None. A server found at the default
    address counts only when it serves this data directory (RAG_DATA_DIR), so that `rag ask` never
    answers from another index than the user's; RAG_SERVER_URL is used as given."""
    url = server_url(settings)
    try:
        response = httpx.get(f"{url}/readyz", timeout=READY_TIMEOUT_S)
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    if not settings.server_url and response.json().get("index_id") != settings.index_id:
        return None
    return url


def _json(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def ask_server(url: str, settings: Settings, question: Question) -> Answer:
    """POST /v1/ask with the same question, options and filters the local pipeline would take."""
    body = {k: _json(v) for k, v in asdict(question.filters).items() if v is not None and k not in ("keep_undated", "as_of")}
    body |= {"question": question.text, "top_k": question.top_k, "as_of": _json(question.as_of)}
    headers = {}
    if settings.server_api_key is not None:
        headers["Authorization"] = f"Bearer {settings.server_api_key.get_secret_value()}"
    response = httpx.post(
        f"{url}/v1/ask", json={k: v for k, v in body.items() if v is not None}, headers=headers, timeout=settings.model_timeout_seconds + 5
    )
    if response.status_code != 200:
        try:
            detail = response.json().get("error") or response.json().get("detail")
        except ValueError:
            detail = response.text[:200]
        raise ServerRefused(f"the server at {url} answered {response.status_code}: {detail}")
    return Answer.model_validate(response.json())
