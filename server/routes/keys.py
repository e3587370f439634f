"""GET /v1/keys: who holds a key, for an admin; never a key or its hash."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from server.deps import PrincipalDep

router = APIRouter()


class KeyOut(BaseModel):
    name: str
    role: str
    collections: list[str] = Field(description='["*"]: every collection')


@router.get("/v1/keys", response_model=list[KeyOut], tags=["access"])
def list_keys(request: Request, principal: PrincipalDep) -> list[KeyOut]:
    """Every key's name, role and collections (admin only); never a key or its hash."""
    if principal.role != "admin":
        raise HTTPException(status_code=403, detail="listing keys needs an admin key")
    return [
        KeyOut(name=p.name, role=p.role, collections=["*"] if p.collections is None else sorted(p.collections))
        for p in request.app.state.keys.principals()
    ]
