"""`rag serve` (the HTTP API, page and Slack endpoint; on Ray Serve with --ray) and `rag slack`
(the Socket Mode bot alone)."""

from __future__ import annotations

import argparse
import logging
import logging.config
import sys
import threading

import uvicorn

from cli.common import add_collection_arg, services
from cli.ingest import check_watch, watcher
from index.errors import UsageError
from index.feed_watch import FeedWatcher
from index.ray_cluster import connect, disconnect
from index.store import StoreError
from rag.access import load_keys_file
from rag.settings import Settings
from server.app import create_app
from server.middleware.logging_json import log_config
from server.slack.bot import SlackBot, check_settings


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    settings = settings.model_copy(update={"host": args.host or settings.host, "port": args.port or settings.port})
    if not args.ray and (args.replicas != 1 or args.min_replicas is not None or args.max_replicas is not None):
        raise UsageError("--replicas, --min-replicas and --max-replicas need --ray ADDRESS")
    if args.ray and args.watch:
        raise UsageError(
            "--watch polls inside `rag serve`; with --ray, run `rag watch FEED...` beside it (replicas pick up what it ingests)"
        )
    check_settings(settings)  # missing Slack secrets: one line before any model loads
    if settings.keys_file is not None:
        load_keys_file(settings.keys_file)  # a broken keys file is one line before any model loads
    every = check_watch(args.watch, args.every) if args.watch else None
    if not settings.db_path.exists():
        raise StoreError(f"no index at {settings.db_path}: build it with `rag ingest seeds/` (or set RAG_DATA_DIR)")
    if args.ray:
        return _ray_serve(args, settings)
    logging.config.dictConfig(log_config(settings.log_format))
    built = services(settings)
    built.warm_up()  # a corrupt index or missing model fails here, as one line (see main), before binding
    if args.watch and every is not None:
        _watch_in_background(watcher(built, settings, args.watch, every, args.collection))
    uvicorn.run(
        create_app(settings, preloaded=built),
        host=settings.host,
        port=settings.port,
        log_config=log_config(settings.log_format),
        access_log=False,  # server/middleware/request_context.py writes the access log, with route, duration and request id
        timeout_graceful_shutdown=30,
    )
    return 0


def _watch_in_background(polling: FeedWatcher) -> None:
    """`rag serve --watch`: the feeds are polled on a daemon thread; the server answers from
    each new article as soon as it is committed (the index refreshes on the store's generation)."""
    log = logging.getLogger("rag.watch")
    threading.Thread(target=polling.run, kwargs={"say": log.info}, name="feed-watch", daemon=True).start()


def _ray_serve(args: argparse.Namespace, settings: Settings) -> int:
    """The same app on Ray Serve replicas; the data directory is made absolute because replicas
    (on other machines too) open it by path."""
    try:  # Ray is an optional extra: imported only under --ray
        from server.ray_serve import Scaling, deploy, wait_for_stop
    except ImportError:
        raise UsageError('Ray is not installed: pip install -e ".[cluster]" (see docs/scale.md)') from None
    try:
        scaling = Scaling(args.replicas, args.min_replicas, args.max_replicas, args.replica_cpus)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    connect(args.ray)
    try:
        url = deploy(settings.model_copy(update={"data_dir": settings.data_dir.resolve()}), scaling)
        print(f"serving on {url} through Ray Serve ({args.ray}); Ctrl-C stops", file=sys.stderr, flush=True)
        wait_for_stop()
    finally:
        disconnect()
    return 0


def cmd_slack(args: argparse.Namespace, settings: Settings) -> int:
    """The Slack bot alone, over Socket Mode: for a team without a public URL for `rag serve`."""
    settings = settings.model_copy(update={"slack_mode": "socket"})
    check_settings(settings)
    built = services(settings)
    built.warm_up()
    bot = SlackBot(settings, built)
    try:
        bot.run_forever()
    finally:
        bot.close()
    return 0


def add_serve(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--watch", action="append", metavar="FEED", help="also poll this feed URL and ingest its items (repeatable)")
    p.add_argument("--every", default="15m", help="poll interval for --watch feeds (default 15m)")
    add_collection_arg(p, "the collection --watch feeds go to")
    p.add_argument("--ray", metavar="ADDRESS", help="run the app's replicas on Ray Serve: local, auto or ray://HOST:PORT (docs/scale.md)")
    p.add_argument("--replicas", type=int, default=1, help="with --ray: replicas (the initial number when autoscaling)")
    p.add_argument("--min-replicas", type=int, help="with --ray: autoscale down to this many")
    p.add_argument("--max-replicas", type=int, help="with --ray: autoscale up to this many")
    p.add_argument("--replica-cpus", type=float, default=1.0, help="with --ray: CPUs reserved per replica")
    p.set_defaults(func=cmd_serve)


def add_slack(p: argparse.ArgumentParser) -> None:
    p.set_defaults(func=cmd_slack)


COMMANDS = {"serve": add_serve, "slack": add_slack}
