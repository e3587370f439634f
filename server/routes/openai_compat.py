"""OpenAI-compatible chat completions, so existing clients and tools work unchanged.

The OpenAI API is stateless: every request carries the whole conversation. Earlier user
and assistant messages are replayed through the ChatEngine's follow-up rewriter, so a
follow-up here means what it means in /v1/chat and Slack; nothing is stored.

The reply text is the answer followed by numbered citations ("[1] title, date"); the
full Citation objects travel beside it in the message's extra `citations` field (and
the searched query in `query`), which OpenAI clients keep as extra attributes.

The `model` picks the collections: `rag-news` is every collection the key may read,
`rag-news/NAME` only the collection NAME (a client that cannot send our `collections` field
can still narrow). A model naming a collection the key may not read does not exist for it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping
from typing import Literal

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import to_json

from index.store import Filters
from rag.access import Principal
from rag.answer_text import date_label
from rag.service import Services
from rag.types import Answer, Citation
from server.deps import ChatDep, PrincipalDep, ServicesDep
from server.middleware.metrics import observe_answer
from server.middleware.timeouts import ModelTimeout, run_model_call
from server.schemas import check_limits, describe_validation_error

MODEL_ID = "rag-news"
MAX_MESSAGES = 200
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class OpenAIErrorRoute(APIRoute):
    """Errors in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`: OpenAI
    clients take the message they show from there, so a bad request reads as what it is."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return _error(422, describe_validation_error(exc), "invalid_request_error")
            except HTTPException as exc:
                return _error(exc.status_code, str(exc.detail), "invalid_request_error", exc.headers)
            except ModelTimeout as exc:
                return _error(503, str(exc), "server_error", {"Retry-After": "5"})

        return route


def _error(status: int, message: str, kind: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    body = {"error": {"message": message, "type": kind, "param": None, "code": None}}
    return JSONResponse(status_code=status, content=body, headers=headers)


router = APIRouter(prefix="/v1", tags=["openai-compatible"], route_class=OpenAIErrorRoute)


class TextPart(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str
    text: str | None = None


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore")  # name, tool_calls, ...: nothing an extractive reader uses

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[TextPart] | None = None

    @property
    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class CompletionRequest(BaseModel):
    """Unknown fields are ignored, unlike our own API: OpenAI clients send sampling knobs
    (temperature, max_tokens, ...) that mean nothing to an extractive reader, and
    rejecting them would break the clients this endpoint exists for."""

    model_config = ConfigDict(extra="ignore")

    model: str = Field(examples=[MODEL_ID])
    messages: list[Message] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False

    @model_validator(mode="after")
    def ends_with_a_question(self) -> CompletionRequest:
        last = self.messages[-1]
        if last.role != "user":
            raise ValueError(f"the last message must be the user's question, not a {last.role!r} message")
        if not last.text.strip():
            raise ValueError("the last user message is empty")
        return self

    def history(self) -> list[tuple[str, str | None]]:
        """(question, answer) pairs before the last message; system messages play no part."""
        pairs: list[tuple[str, str | None]] = []
        for message in self.messages[:-1]:
            if message.role == "user":
                pairs.append((message.text, None))
            elif message.role == "assistant" and pairs and pairs[-1][1] is None:
                pairs[-1] = (pairs[-1][0], answer_from_reply(message.text))
        return [(q, a) for q, a in pairs if q.strip()]


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "rag-news"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class ReplyMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str
    citations: list[Citation]
    query: str = Field(description="the standalone query that was searched (follow-ups rewritten)")


class Choice(BaseModel):
    index: int = 0
    message: ReplyMessage
    finish_reason: Literal["stop"] = "stop"
    logprobs: None = None


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]


def reply_text(answer: Answer) -> str:
    """The answer, then its numbered citations; "not found" when the corpus does not say."""
    if answer.answer is None:
        return answer.message
    sources = [f"[{n}] {c.title}, {date_label(c.date)}" for n, c in enumerate(answer.citations, start=1)]
    return "\n\n".join([answer.answer, "\n".join(sources)])


def answer_from_reply(text: str) -> str:
    """The answer part of a reply_text() that a client sent back as history."""
    return text.split("\n\n", 1)[0].strip()


def _chunk(completion_id: str, created: int, delta: dict, finish_reason: str | None = None) -> str:
    body = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": MODEL_ID,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}],
    }
    return f"data: {to_json(body).decode()}\n\n"


def _stream(answer: Answer, completion_id: str, created: int) -> Iterator[str]:
    """OpenAI's chunk sequence: the role, the text a line at a time, then a final chunk with
    finish_reason and the citations, then [DONE]."""
    yield _chunk(completion_id, created, {"role": "assistant", "content": ""})
    for line in reply_text(answer).splitlines(keepends=True):
        yield _chunk(completion_id, created, {"content": line})
    extras = {"citations": answer.citations, "query": answer.query}
    yield _chunk(completion_id, created, extras, finish_reason="stop")
    yield "data: [DONE]\n\n"


def _models(principal: Principal, services: Services) -> list[str]:
    readable = principal.readable
    collections = [c for c in services.store.collections() if readable is None or c in readable]
    return [MODEL_ID, *(f"{MODEL_ID}/{c}" for c in collections)]


@router.get("/models", response_model=ModelList)
def list_models(principal: PrincipalDep, services: ServicesDep) -> ModelList:
    """`rag-news` (every collection the key may read), then `rag-news/NAME` for each of them."""
    return ModelList(data=[ModelCard(id=m) for m in _models(principal, services)])


@router.get("/models/{model_id:path}", response_model=ModelCard)
def get_model(model_id: str, principal: PrincipalDep) -> ModelCard:
    _model_filters(model_id, principal)
    return ModelCard(id=model_id)


@router.post("/chat/completions", response_model=ChatCompletion)
async def chat_completions(
    body: CompletionRequest,
    request: Request,
    engine: ChatDep,
    principal: PrincipalDep,
):
    """Answer the last user message, earlier messages giving the context for follow-ups.
    With `stream: true` the reply comes as server-sent `chat.completion.chunk` events."""
    check_limits(request.app.state.settings, "messages", body.messages[-1].text)
    filters = _model_filters(body.model, principal)
    history = engine.replay(body.history())
    answer = await run_model_call(request, engine.answer, body.messages[-1].text, history, None, filters)
    observe_answer(request, answer, filters.collections)
    completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    if body.stream:
        return StreamingResponse(_stream(answer, completion_id, created), media_type="text/event-stream", headers=STREAM_HEADERS)
    message = ReplyMessage(content=reply_text(answer), citations=answer.citations, query=answer.query)
    return ChatCompletion(id=completion_id, created=created, model=MODEL_ID, choices=[Choice(message=message)])


def _model_filters(model: str, principal: Principal) -> Filters:
    """The collections a model name searches, within what the key may read; a model naming
    another collection is a 404, as if it did not exist."""
    base, slash, collection = model.partition("/")
    readable = principal.readable
    if base != MODEL_ID or (slash and (not collection or (readable is not None and collection not in readable))):
        raise HTTPException(status_code=404, detail=f"the model {model!r} does not exist; this server has {MODEL_ID!r} (see /v1/models)")
    return Filters(collections=(collection,) if slash else None).within(readable)
