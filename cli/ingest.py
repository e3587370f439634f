"""`rag ingest`, `rag watch`, `rag delete`, `rag docs`: what is in the index."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.common import add_collection_arg, collection_arg, services
from index.errors import UsageError
from index.feed_watch import FeedWatcher, parse_interval
from index.feeds import FeedReader, Fetcher
from index.ingest import IngestReport
from index.inputs import Inputs, is_url
from index.parse import find_article_files
from index.ray_cluster import connect, disconnect
from index.store import Filters
from rag.service import Services
from rag.settings import Settings


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    inputs = Inputs.sort(args.paths)
    if args.actors is not None and not args.ray:
        raise UsageError("--actors needs --ray ADDRESS")
    if args.ray and (inputs.urls or inputs.feeds):
        raise UsageError("--ray ingests files and folders; read feeds and URLs with the plain `rag ingest`")
    try:
        find_article_files(inputs.files)  # a missing path fails here, before any model loads
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from None
    built = services(settings)
    if args.ray:
        report, summary = _ray_ingest(args, built, inputs.files)
    else:
        report = IngestReport()
        if inputs.files:
            report = built.ingestor.ingest_paths(inputs.files, progress=not args.quiet, collection=args.collection)
        if inputs.urls or inputs.feeds:
            _read_feeds(built, settings, inputs, report, args.collection)
        summary = report.summary()
    for path, reason in report.failed:
        print(f"skipped {reason}" if reason.startswith(path) else f"skipped {path}: {reason}", file=sys.stderr)
    docs, chunks = built.store.counts()
    print(f"{summary} into {args.collection}. The index holds {docs} documents, {chunks} chunks.")
    return 1 if report.failed else 0


def feed_reader(built: Services, settings: Settings, collection: str) -> FeedReader:
    fetcher = Fetcher(settings.feed_timeout_seconds, settings.feed_max_bytes, settings.feed_user_agent)
    return FeedReader(built.ingestor, fetcher, collection)


def _read_feeds(built: Services, settings: Settings, inputs: Inputs, report: IngestReport, collection: str) -> None:
    """Feed files, feed URLs and article URLs, into the same report (and collection) as the files."""
    reader = feed_reader(built, settings, collection)
    try:
        for path in inputs.feeds:
            reader.ingest_feed_file(path, report)
        for url in inputs.urls:
            reader.ingest_url(url, report)
    finally:
        reader.fetcher.close()


def check_watch(feeds: list[str], every: str) -> float:
    """Bad feed URLs or interval are a usage error before any model loads; returns the seconds."""
    bad = [f for f in feeds if not is_url(f)]
    if bad:
        raise UsageError(f"feeds to watch must be http(s) URLs: {', '.join(bad)}")
    try:
        return parse_interval(every)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def watcher(built: Services, settings: Settings, feeds: list[str], every: float, collection: str) -> FeedWatcher:
    return FeedWatcher(feed_reader(built, settings, collection), feeds, every)


def cmd_watch(args: argparse.Namespace, settings: Settings) -> int:
    """Poll feeds until interrupted (or --max-polls): one summary line per poll."""
    every = check_watch(args.feeds, args.every)
    polling = watcher(services(settings), settings, args.feeds, every, args.collection)
    try:
        polling.run(max_polls=args.max_polls, say=lambda line: print(line, flush=True))
    finally:
        polling.reader.fetcher.close()
    return 0


def _ray_ingest(args: argparse.Namespace, built: Services, paths: list[Path]) -> tuple[IngestReport, str]:
    """Parse, chunk and embed on the cluster; this process writes the store, as `rag ingest` does."""
    if args.actors is not None and args.actors < 1:
        raise UsageError("--actors must be at least 1")
    connect(args.ray)
    from index.ray_ingest import ray_ingest  # Ray is an optional extra: imported only under --ray

    try:
        result = ray_ingest(
            paths, built.ingestor, built.embedder_factory(), actors=args.actors, progress=not args.quiet, collection=args.collection
        )
    finally:
        disconnect()
    return result.report, result.summary()


def cmd_delete(args: argparse.Namespace, settings: Settings) -> int:
    built = services(settings)
    if built.store.document(args.doc_id, args.collection) is None:
        raise UsageError(f"no document with doc_id {args.doc_id!r} in the collection {args.collection!r} (see `rag docs`)")
    built.ingestor.delete(args.doc_id, args.collection)
    print(f"deleted {args.doc_id} from {args.collection}")
    return 0


def cmd_docs(args: argparse.Namespace, settings: Settings) -> int:
    for d in services(settings).store.documents(Filters.of(collections=args.collection)):
        print(f"{d.collection}\t{d.doc_id}\t{d.date or '-'}\t{d.source or '-'}\t{d.chunks} chunks\t{d.title}")
    return 0


def add_ingest(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "paths",
        nargs="+",
        help=".txt .md .html .json .jsonl files or folders of them; RSS/Atom feed files (.rss .atom .xml); "
        "http(s) URLs of feeds or article pages",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_collection_arg(p, "the collection to add them to")
    p.add_argument(
        "--ray", metavar="ADDRESS", help="parse, chunk and embed on a Ray cluster: local, auto or ray://HOST:PORT (docs/scale.md)"
    )
    p.add_argument("--actors", type=int, help="with --ray: embedding actors (default one per cluster CPU)")
    p.set_defaults(func=cmd_ingest)


def add_delete(p: argparse.ArgumentParser) -> None:
    p.add_argument("doc_id")
    add_collection_arg(p, "the collection it is in")
    p.set_defaults(func=cmd_delete)


def add_docs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--collection", type=collection_arg, action="append", help="only this collection (repeatable)")
    p.set_defaults(func=cmd_docs)


def add_watch(p: argparse.ArgumentParser) -> None:
    p.add_argument("feeds", nargs="+", help="http(s) URLs of feeds")
    p.add_argument("--every", default="15m", help="poll interval: 30s, 15m, 1h (default 15m)")
    p.add_argument("--max-polls", type=int, default=None, help="stop after this many polls (default: run until Ctrl-C)")
    add_collection_arg(p, "the collection to add items to")
    p.set_defaults(func=cmd_watch)


COMMANDS = {"ingest": add_ingest, "delete": add_delete, "docs": add_docs, "watch": add_watch}
