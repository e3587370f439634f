"""/v1/ask, documents, and health: HTTP in and out, nothing else."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel

from rag.answer import AnswerPipeline
from rag.service import Services
from rag.types import Answer
from server.deps import get_pipeline, get_services
from server.metrics import observe_answer
from server.schemas import AskRequest
from server.timeouts import run_model_call

router = APIRouter()


class DocumentOut(BaseModel):
    doc_id: str
    title: str
    date: str | None
    source: str | None
    chunks: int
    text: str | None = None


@router.post("/v1/ask", response_model=Answer, tags=["answers"])
async def ask(body: AskRequest, request: Request, pipeline: AnswerPipeline = Depends(get_pipeline)) -> Answer:
    """Answer one question from the corpus, with citations; `answer` is null when the corpus does not say."""
    answer = await run_model_call(request, pipeline.ask, body.question, body.top_k, body.filters(), as_of=body.as_of)
    observe_answer(request, answer)
    return answer


@router.get("/v1/documents", response_model=list[DocumentOut], tags=["documents"])
def list_documents(services: Services = Depends(get_services)) -> list[DocumentOut]:
    return [
        DocumentOut(doc_id=d.doc_id, title=d.title, date=str(d.date) if d.date else None, source=d.source, chunks=d.chunks)
        for d in services.store.documents()
    ]


@router.get("/v1/documents/{doc_id}", response_model=DocumentOut, tags=["documents"])
def get_document(doc_id: str, services: Services = Depends(get_services)) -> DocumentOut:
    """The stored article text: citation offsets point into `text`."""
    d = services.store.document(doc_id)
    if d is None:
        raise HTTPException(status_code=404, detail=f"no document with doc_id {doc_id!r}")
    return DocumentOut(
        doc_id=d.doc_id, title=d.title, date=str(d.date) if d.date else None, source=d.source, chunks=d.chunks, text=d.text
    )


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
