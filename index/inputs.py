"""What a user hands to ingest: article files and folders, RSS/Atom feed files, or http(s) URLs
of feeds and article pages. The one place that tells them apart, for the CLI and any other
way in (an HTTP upload of a feed file would be told apart here too)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

FEED_SUFFIXES = {".rss", ".atom", ".xml"}


def is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def is_feed_file(path: Path) -> bool:
    return path.suffix.lower() in FEED_SUFFIXES


@dataclass(frozen=True)
class Inputs:
    files: list[Path] = field(default_factory=list)  # article files and folders of them
    feeds: list[Path] = field(default_factory=list)  # RSS/Atom files on disk
    urls: list[str] = field(default_factory=list)  # feeds or article pages, fetched

    @classmethod
    def sort(cls, values: Iterable[str]) -> Inputs:
        """Each value in its kind, in the order given; a path that does not exist stays a file
        (finding files reports it by name)."""
        inputs = cls()
        for value in values:
            if is_url(value):
                inputs.urls.append(value)
            elif (path := Path(value)).is_file() and is_feed_file(path):
                inputs.feeds.append(path)
            else:
                inputs.files.append(path)
        return inputs
