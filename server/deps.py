"""FastAPI dependencies: the components loaded once by the lifespan, and the caller (its
principal, set by the API-key middleware) with what it may read, handed to routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from index.store import Filters
from rag.access import Principal
from rag.answer import AnswerPipeline
from rag.conversation import ChatEngine
from rag.service import Services


def get_services(request: Request) -> Services:
    return request.app.state.services


def get_pipeline(request: Request) -> AnswerPipeline:
    return request.app.state.services.pipeline


def get_chat(request: Request) -> ChatEngine:
    return request.app.state.services.chat


def get_principal(request: Request) -> Principal:
    """The caller (a FastAPI dependency); a public path has none, and no route there needs one."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        raise HTTPException(status_code=401, detail="missing API key: send `Authorization: Bearer <key>`")
    return principal


def readable_filters(principal: Principal, filters: Filters) -> Filters:
    """The request's filters restricted to what the caller may read. Asking for a collection
    it may not read is a 403 that names it (whether or not it exists), never a wider search."""
    readable = principal.readable
    if filters.collections is not None and readable is not None:
        refused = sorted(set(filters.collections) - readable)
        if refused:
            raise HTTPException(status_code=403, detail=f"this key may not read the collection(s) {', '.join(refused)}")
    return filters.within(readable)


# What routes declare, FastAPI's `Annotated` shortcuts: `principal: PrincipalDep`
ServicesDep = Annotated[Services, Depends(get_services)]
PipelineDep = Annotated[AnswerPipeline, Depends(get_pipeline)]
ChatDep = Annotated[ChatEngine, Depends(get_chat)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
