"""Test sets in JSON Lines: one question (or one conversation) a line.

    {"id": "q1", "question": "...", "answers": ["..."], "doc_ids": ["file-stem"]}
    {"id": "c1", "turns": [{"question": "...", "answers": ["..."], "doc_ids": []}, ...]}
    {"id": "t1", "question": "... last week?", "answers": ["..."], "as_of": "2025-03-14"}

`as_of` is the day a question is asked on: relative time in it ("last week", "latest") counts
from there, so a time-sensitive set scores the same on any day it is run.

Test sets are written by hand and by other tools, so a bad line is reported with its line
number and skipped, never fatal: one typo must not throw away an hour of scoring.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class _Turn(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    question: str = Field(min_length=1)
    answers: list[str]
    doc_ids: list[str] = Field(default_factory=list)
    as_of: dt.date | None = Field(None, strict=False)  # JSON has no date type: "YYYY-MM-DD"


class _Question(_Turn):
    id: str = Field(min_length=1)


class _Conversation(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    id: str = Field(min_length=1)
    turns: list[_Turn] = Field(min_length=1)


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    answers: tuple[str, ...]  # empty: not answerable from the corpus
    doc_ids: tuple[str, ...]
    line: int
    as_of: dt.date | None = None


@dataclass(frozen=True)
class Conversation:
    """Turns are asked in order in one conversation, so later turns may lean on earlier ones."""

    id: str
    turns: tuple[EvalQuestion, ...]
    line: int


@dataclass
class EvalSet:
    items: list[EvalQuestion | Conversation] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "line N: why", in file order

    @property
    def n_questions(self) -> int:
        return sum(len(i.turns) if isinstance(i, Conversation) else 1 for i in self.items)


class LineError(ValueError):
    pass


def _why(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'line'}: {e['msg']}" for e in exc.errors())


def _question(turn: _Turn, id_: str, line: int) -> EvalQuestion:
    return EvalQuestion(id_, turn.question.strip(), tuple(turn.answers), tuple(turn.doc_ids), line, turn.as_of)


def parse_line(text: str, line: int) -> EvalQuestion | Conversation:
    """One non-blank line to an item; raises LineError with a message naming the line."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LineError(f"line {line}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(raw, dict):
        raise LineError(f"line {line}: expected a JSON object, got {type(raw).__name__}")
    try:
        if "turns" in raw:
            conv = _Conversation.model_validate(raw)
            turns = tuple(_question(t, f"{conv.id}#{n}", line) for n, t in enumerate(conv.turns, start=1))
            return Conversation(conv.id, turns, line)
        q = _Question.model_validate(raw)
        return _question(q, q.id, line)
    except ValidationError as exc:
        raise LineError(f"line {line}: {_why(exc)}") from None


def load_testset(path: Path) -> EvalSet:
    """Every valid line becomes an item; every invalid one an error. Blank lines are skipped.
    A repeated id is an error on the later line: rows in the report are keyed by id."""
    testset = EvalSet()
    first_line: dict[str, int] = {}
    with Path(path).open(encoding="utf-8", errors="replace") as f:
        for number, text in enumerate(f, start=1):
            if not text.strip():
                continue
            try:
                item = parse_line(text, number)
            except LineError as exc:
                testset.errors.append(str(exc))
                continue
            if item.id in first_line:
                testset.errors.append(f"line {number}: duplicate id {item.id!r} (first on line {first_line[item.id]})")
                continue
            first_line[item.id] = number
            testset.items.append(item)
    return testset
