"""Model calls with a deadline and a concurrency cap, off the event loop.

A request whose pipeline call is not done within `model_timeout_seconds` gets 503 instead of
holding its client (and a worker) indefinitely. Python cannot stop a thread, so a call that
times out *while running* finishes in the background and its result is dropped; it keeps its
worker until then. Calls run on a dedicated pool of `model_concurrency` threads, which is
what bounds the damage: abandoned calls still count against the cap, so a burst of slow
questions makes new ones queue (and time out while queued, never starting) rather than
piling up threads that fight over the CPU. A call that times out while still queued is
cancelled and never runs.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse

from server.middleware.errors import error_body

T = TypeVar("T")


class ModelTimeout(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"the model did not answer within {seconds:g} s (RAG_MODEL_TIMEOUT_SECONDS); "
            "the server is busy or the request too large: try again, or ask for fewer passages (top_k)"
        )


class ModelCalls:
    def __init__(self, timeout_seconds: float, concurrency: int) -> None:
        self.timeout_seconds = timeout_seconds
        self.executor = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="model")

    async def run(self, fn: Callable[..., T], *args, **kwargs) -> T:
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()  # the request id follows the call into its thread
        future = loop.run_in_executor(self.executor, functools.partial(context.run, fn, *args, **kwargs))
        try:
            return await asyncio.wait_for(future, self.timeout_seconds)
        except TimeoutError:
            raise ModelTimeout(self.timeout_seconds) from None

    def call(self, fn: Callable[..., T], *args, **kwargs) -> T:
        """`run` for callers on a plain thread (Slack's listeners): the same pool and deadline."""
        future = self.executor.submit(fn, *args, **kwargs)
        try:
            return future.result(timeout=self.timeout_seconds)
        except TimeoutError:
            future.cancel()  # still queued: never runs; already running: finishes, result dropped
            raise ModelTimeout(self.timeout_seconds) from None

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


async def run_model_call(request: Request, fn: Callable[..., T], *args, **kwargs) -> T:
    """What a route uses to call the pipeline (ask, chat, OpenAI-compatible, Slack)."""
    return await request.app.state.model_calls.run(fn, *args, **kwargs)


def model_timeout_handler(request: Request, exc: Exception) -> JSONResponse:
    """For ModelTimeout (registered for that class only): 503 with Retry-After."""
    return JSONResponse(status_code=503, content=error_body(str(exc)), headers={"Retry-After": "5"})
