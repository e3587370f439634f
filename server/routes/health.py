"""What probes and scrapers read: liveness, readiness (models and index loaded) and Prometheus
metrics (collected by server/middleware/metrics.py)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from rag.service import Services

router = APIRouter()


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


@router.get("/metrics", include_in_schema=False)
def metrics_endpoint(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
