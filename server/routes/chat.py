"""POST /v1/chat: one turn of a conversation, as the /v1/ask answer plus its conversation_id."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from pydantic import Field

from rag.conversation import CONVERSATION_ID, ConversationNotFound
from rag.types import ChatAnswer
from server.deps import ChatDep, PrincipalDep, readable_filters
from server.middleware.metrics import observe_answer
from server.middleware.timeouts import run_model_call
from server.schemas import NonBlankText, RetrievalOptions, check_limits

router = APIRouter()


class ChatRequest(RetrievalOptions):
    conversation_id: str | None = Field(
        None,
        pattern=f"^{CONVERSATION_ID.pattern}$",
        description="continue this conversation (an id a previous reply returned); omit to start one",
    )
    message: NonBlankText = Field(
        min_length=1, description="at most RAG_MAX_QUESTION_CHARS (2,000 unless set)", examples=["Which TV programme did he speak on?"]
    )


@router.post("/v1/chat", response_model=ChatAnswer, tags=["chat"])
async def chat(
    body: ChatRequest,
    request: Request,
    engine: ChatDep,
    principal: PrincipalDep,
) -> ChatAnswer:
    """Answer a message in a conversation: follow-ups ("he", "what about the EU?") are resolved
    against its earlier turns, and `query` shows the standalone question that was searched.
    A conversation belongs to the key that started it."""
    check_limits(request.app.state.settings, "message", body.message, body.top_k)
    filters = readable_filters(principal, body.filters())
    try:
        answer = await run_model_call(
            request,
            engine.chat,
            body.message,
            body.conversation_id,
            body.top_k,
            filters,
            create_missing=False,
            owner=principal.name,
        )
    except ConversationNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    observe_answer(request, answer, filters.collections)
    return answer
