"""/v1/ask and health: HTTP in and out, nothing else (documents: server/documents.py)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from rag.answer import AnswerPipeline
from rag.service import Services
from rag.types import Answer
from server.deps import get_pipeline
from server.keys import Principal
from server.metrics import observe_answer
from server.schemas import AskRequest
from server.security import get_principal, readable_filters
from server.timeouts import run_model_call

router = APIRouter()


@router.post("/v1/ask", response_model=Answer, tags=["answers"])
async def ask(
    body: AskRequest,
    request: Request,
    pipeline: AnswerPipeline = Depends(get_pipeline),
    principal: Principal = Depends(get_principal),
) -> Answer:
    """Answer one question from the collections your key may read, with citations; `answer` is
    null when they do not say."""
    filters = readable_filters(principal, body.filters())
    answer = await run_model_call(request, pipeline.answer, body.as_question(body.question, filters))
    observe_answer(request, answer, filters.collections)
    return answer


class KeyOut(BaseModel):
    name: str
    role: str
    collections: list[str] = Field(description='["*"]: every collection')


@router.get("/v1/keys", response_model=list[KeyOut], tags=["access"])
def list_keys(request: Request, principal: Principal = Depends(get_principal)) -> list[KeyOut]:
    """Every key's name, role and collections (admin only); never a key or its hash."""
    if principal.role != "admin":
        raise HTTPException(status_code=403, detail="listing keys needs an admin key")
    return [
        KeyOut(name=p.name, role=p.role, collections=["*"] if p.collections is None else sorted(p.collections))
        for p in request.app.state.keys.principals()
    ]


@router.get("/healthz", tags=["health"])
def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz", tags=["health"])
def readyz(request: Request) -> dict:
    """Readiness: models and index are loaded."""
    services: Services | None = getattr(request.app.state, "services", None)
    if services is None or not getattr(request.app.state, "ready", False):
        raise HTTPException(status_code=503, detail="loading models and index")
    docs, chunks = services.store.counts()
    return {
        "status": "ready",
        "documents": docs,
        "chunks": chunks,
        "vectors": len(services.vectors),
        "generation": services.vectors.generation,
        "load_seconds": services.load_seconds,
    }
