"""`rag keys add|list`: API keys with a role and collections, in RAG_KEYS_FILE (docs/access.md).
The rules are rag/access.py's, the same ones the server enforces."""

from __future__ import annotations

import argparse
import sys
from typing import get_args

from index.errors import UsageError
from rag.access import KeysFileError, Role, add_key, load_keys_file, parse_collections
from rag.settings import Settings


def cmd_keys_add(args: argparse.Namespace, settings: Settings) -> int:
    """A new key, printed once; only its SHA-256 is written, to RAG_KEYS_FILE."""
    if settings.keys_file is None:
        raise UsageError("set RAG_KEYS_FILE to the keys file to write (it is created if missing)")
    try:
        key = add_key(settings.keys_file, args.name, args.role, parse_collections(args.collections))
    except ValueError as exc:  # KeysFileError or a bad collection name: what the user typed
        raise UsageError(str(exc)) from None
    print(key)
    print(f"added {args.name!r} ({args.role} of {args.collections}) to {settings.keys_file}; the key is shown only now", file=sys.stderr)
    return 0


def cmd_keys_list(args: argparse.Namespace, settings: Settings) -> int:
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


def add_keys(p: argparse.ArgumentParser) -> None:
    keys = p.add_subparsers(dest="keys_command", required=True)
    k = keys.add_parser("add", help="make a key: printed once, stored hashed")
    k.add_argument("name", help="who holds it (shown in logs; conversations belong to it)")
    k.add_argument("--role", choices=get_args(Role), default="reader")
    k.add_argument("--collections", required=True, help="comma-separated collections it may use, or * for all")
    k.set_defaults(func=cmd_keys_add)
    k = keys.add_parser("list", help="names, roles and collections (never keys)")
    k.set_defaults(func=cmd_keys_list)


COMMANDS = {"keys": add_keys}
