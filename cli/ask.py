"""`rag ask` and `rag chat`: questions from the terminal, answers rendered for it."""

from __future__ import annotations

import argparse
import sys

from cli.common import add_filter_args, checked_top_k, question_from_args, services
from cli.remote import ask_server, ready_server
from rag.answer_text import band_label, date_label, outlet_label, searched_for
from rag.limits import QuestionError, check_question
from rag.settings import Settings
from rag.types import Answer


def format_answer(answer: Answer) -> str:
    lines = []
    label = band_label(answer.confidence_band)
    if answer.answer is None:
        lines.append(label)
        lines.append(answer.message)
        if answer.suggestion:
            s, c = answer.suggestion, answer.suggestion.citation
            lines.append(f"  low-confidence hint, not an answer: {s.answer}   (confidence {s.confidence:.2f})")
            lines.append(f"      {c.title} — {c.doc_id}, {date_label(c.date)}, chars {c.start}-{c.end}: “{c.snippet}”")
    else:
        lines.append(f"{label}: {answer.answer}   (confidence {answer.confidence:.2f})")
        lines.extend(f"  • {item.text} [{n}]" for n, item in enumerate(answer.items, start=1))
        lines.append(answer.message)
        for n, c in enumerate(answer.citations, start=1):
            lines.append(f"  [{n}] {c.title} — {c.doc_id}, {date_label(c.date)}, chars {c.start}-{c.end}")
            lines.append(f"      “{c.snippet}”")
            if c.also_published_by:
                outlets = ", ".join(f"{outlet_label(o)} ({date_label(o.date)})" for o in c.also_published_by)
                lines.append("      also published by: " + outlets)
        for e in answer.earlier:
            lines.append(f"  earlier: {e.answer} ({date_label(e.date)}) — {', '.join(c.doc_id for c in e.citations)}")
    if query := searched_for(answer):
        lines.append(f"(searched for: {query})")
    if answer.since or answer.until:
        lines.append(f"(articles dated {answer.since or '…'} to {answer.until or '…'})")
    return "\n".join(lines)


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    question = check_question(args.question, settings.max_question_chars)
    top_k = checked_top_k(args.top_k, settings)
    asked = question_from_args(args, question, top_k)
    url = None if args.local else ready_server(settings)
    if url is not None:  # a running server answers in milliseconds; loading the models here takes seconds
        answer = ask_server(url, settings, asked)
    else:
        answer = services(settings).pipeline.answer(asked)
    print(answer.model_dump_json(indent=2) if args.json else format_answer(answer))
    return 0


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    """A conversation in the terminal: the same ChatEngine (and follow-up rewriting) as /v1/chat."""
    from rag.conversation import validate_conversation_id

    conversation_id = args.conversation
    if conversation_id is not None:
        validate_conversation_id(conversation_id)
    top_k = checked_top_k(args.top_k, settings)
    built = services(settings)
    print("Ask a question; follow-ups may say “he”, “it”, “what about …?”. An empty line ends.", file=sys.stderr)
    while True:
        try:
            message = input("> ")
        except EOFError:
            break
        if not message.strip():
            break
        try:
            check_question(message, settings.max_question_chars)
        except QuestionError as exc:
            print(f"rag: {exc}", file=sys.stderr)
            continue
        answer = built.chat.chat(question_from_args(args, message, top_k, conversation_id))
        conversation_id = answer.conversation_id
        print(format_answer(answer), end="\n\n")
    if conversation_id:
        print(f"(conversation {conversation_id}: continue it with --conversation {conversation_id})", file=sys.stderr)
    return 0


def add_ask(p: argparse.ArgumentParser) -> None:
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the same JSON object the API returns")
    p.add_argument("--local", action="store_true", help="read the answer in this process even when a server is running")
    add_filter_args(p)
    p.set_defaults(func=cmd_ask)


def add_chat(p: argparse.ArgumentParser) -> None:
    p.add_argument("--conversation", help="continue (or start) the conversation with this id")
    add_filter_args(p)
    p.set_defaults(func=cmd_chat)


COMMANDS = {"ask": add_ask, "chat": add_chat}
