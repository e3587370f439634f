"""FastAPI dependencies: the components loaded once by the lifespan, handed to routes."""

from __future__ import annotations

from fastapi import Request

from rag.answer import AnswerPipeline
from rag.conversation import ChatEngine
from rag.service import Services


def get_services(request: Request) -> Services:
    return request.app.state.services


def get_pipeline(request: Request) -> AnswerPipeline:
    return request.app.state.services.pipeline


def get_chat(request: Request) -> ChatEngine:
    return request.app.state.services.chat
