"""The one base class of every error a user can cause or fix (a bad path, a broken index, a
missing model, a bad keys file...). It lives at the bottom layer so that index/, rag/, server/
and eval/ can all derive from it, and it carries the exit code the `rag` command ends with:
`cli.main` catches this one class, prints the message as one line and exits with `exit_code`.
"""

from __future__ import annotations


class RagError(Exception):
    """A problem the message explains to the user; `exit_code` 1: the input or state is
    wrong; 2: the command was used wrongly (nothing was touched)."""

    exit_code: int = 1


class UsageError(RagError):
    """Bad input from the user: printed as one line, exit code 2, nothing touched."""

    exit_code = 2
