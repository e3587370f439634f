"""The `rag` command: ingest, ask, serve, evaluate and train the reader.

It sits on top of every layer (it is how a user reaches each of them), so it is the one
place allowed to import from index/, rag/, server/ and eval/ alike. Each command group is
its own module (cli/ingest.py, cli/ask.py, cli/serve.py, cli/keys.py, cli/reader.py,
cli/eval.py), imported only when one of its commands runs: `rag docs` never loads the server,
`rag ask` never loads the trainer. Every error a user can cause or fix derives from
`RagError` (index/errors.py), which carries the exit code: main() catches that one class.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from index.errors import RagError
from rag.settings import Settings

# command -> (the module that holds it, its one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "ingest": ("cli.ingest", "add or update articles from files, folders, feeds and URLs"),
    "delete": ("cli.ingest", "remove one document from the index"),
    "docs": ("cli.ingest", "list the indexed documents"),
    "keys": ("cli.keys", "API keys with roles and collections, in RAG_KEYS_FILE (see docs/access.md)"),
    "ask": ("cli.ask", "answer a question from the corpus"),
    "chat": ("cli.ask", "a conversation in the terminal (follow-up questions understood)"),
    "watch": ("cli.ingest", "poll RSS/Atom feeds and ingest new and changed items (see docs/news.md)"),
    "serve": ("cli.serve", "serve the HTTP API, chat page and Slack endpoint"),
    "slack": ("cli.serve", "run the Slack bot over Socket Mode (no HTTP server; see README, Slack)"),
    "train-reader": ("cli.reader", "train the extractive reader on SQuAD (see models/reader-accurate/README.md)"),
    "eval": ("cli.eval", "score answers and retrieval against a JSONL test set (see eval/README.md)"),
    "calibrate-reader": ("cli.reader", "refit the reader's confidence and no-answer threshold (training-side data only)"),
    "eval-reader": ("cli.eval", "EM/F1 of the reader on a SQuAD-layout file, each question against its paragraph"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """Every command with its help; the arguments of `command` only (all of them when None),
    so that parsing one command imports one group's module."""
    parser = argparse.ArgumentParser(prog="rag", description="Ask questions of your news articles; answers cite their sources.")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if command is None or name == command:
            importlib.import_module(module).COMMANDS[name](p)
    return parser


def _command(argv: Sequence[str]) -> str:
    """The command word: the first argument that is not an option (`-v` takes no value)."""
    return next((a for a in argv if not a.startswith("-")), "")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(_command(argv)).parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings()
    except Exception as exc:  # pydantic ValidationError: a bad RAG_* variable
        print(f"rag: invalid settings: {exc}", file=sys.stderr)
        return 2
    try:
        return args.func(args, settings)
    except RagError as exc:
        print(f"rag: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
