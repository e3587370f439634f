"""POST /v1/ask: one question in, one cited answer out; HTTP only, the answering is rag/'s."""

from __future__ import annotations

from fastapi import APIRouter, Request

from rag.types import Answer
from server.deps import PipelineDep, PrincipalDep, readable_filters
from server.middleware.metrics import observe_answer
from server.middleware.timeouts import run_model_call
from server.schemas import AskRequest, check_limits

router = APIRouter()


@router.post("/v1/ask", response_model=Answer, tags=["answers"])
async def ask(
    body: AskRequest,
    request: Request,
    pipeline: PipelineDep,
    principal: PrincipalDep,
) -> Answer:
    """Answer one question from the collections your key may read, with citations; `answer` is
    null when they do not say."""
    check_limits(request.app.state.settings, "question", body.question, body.top_k)
    filters = readable_filters(principal, body.filters())
    answer = await run_model_call(request, pipeline.ask, body.question, body.top_k, filters, as_of=body.as_of)
    observe_answer(request, answer, filters.collections)
    return answer
