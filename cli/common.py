"""What several command groups share: argument types, the filter flags, the top_k check
(rag/limits.py, as HTTP makes it) and the services."""

from __future__ import annotations

import argparse
import datetime as dt

from index.errors import UsageError
from index.store import Filters, valid_collection
from rag.limits import QuestionError, check_top_k
from rag.service import Services
from rag.settings import Settings


def date_arg(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def collection_arg(value: str) -> str:
    try:
        return valid_collection(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_collection_arg(parser: argparse.ArgumentParser, what: str) -> None:
    """`--collection NAME` (default: default) for a command that writes to one collection."""
    parser.add_argument("--collection", type=collection_arg, default="default", help=f"{what} (default: default)")


def add_filter_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", type=date_arg, help="only articles dated on or after YYYY-MM-DD")
    parser.add_argument("--until", type=date_arg, help="only articles dated on or before YYYY-MM-DD")
    parser.add_argument("--source", action="append", help="only articles from this source (repeatable)")
    parser.add_argument("--doc-id", action="append", dest="doc_ids", help="only this document (repeatable)")
    parser.add_argument("--collection", type=collection_arg, action="append", dest="collections", help="only this collection (repeatable)")
    parser.add_argument("--top-k", type=int, default=None, help="passages to read")


def filters_from_args(args: argparse.Namespace) -> Filters:
    return Filters.of(args.since, args.until, args.source, args.doc_ids, args.collections)


def checked_top_k(top_k: int | None, settings: Settings) -> int | None:
    """--top-k within the range HTTP allows too, as a usage error (`--top-k`, as the user typed it)."""
    try:
        return check_top_k(top_k, settings.max_top_k)
    except QuestionError as exc:
        raise UsageError("--" + str(exc).replace("top_k", "top-k", 1)) from None


def services(settings: Settings) -> Services:
    """The components, built lazily: a command loads only the models it uses."""
    return Services(settings)
