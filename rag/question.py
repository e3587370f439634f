"""One question as every way in asks it: the HTTP API, chat, the OpenAI-compatible API, Slack,
the command line and the evaluator each build one `Question`, once, and the pipeline takes it
whole. A new request field is then one edit here and one where it is read from the outside,
never a parameter threaded through each layer (that is how `as_of` reached only two of them).
Its limits (question length, top_k) are the Settings' own; the ways in check them when they
build it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from index.store import Filters


@dataclass(frozen=True)
class Question:
    text: str
    # the day the question is asked: nothing dated after it is evidence, and "this week" is its week
    as_of: dt.date = field(default_factory=dt.date.today)
    filters: Filters = field(default_factory=Filters)  # collections (access) included
    top_k: int | None = None  # None: the Settings' top_k
    conversation_id: str | None = None  # a chat turn continues this conversation
    owner: str | None = None  # who may continue the conversation (an API key's name, "slack")
