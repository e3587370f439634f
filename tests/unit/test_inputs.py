"""What `rag ingest` is handed, told apart in one place (index/inputs.py)."""

from __future__ import annotations

from pathlib import Path

from index.inputs import Inputs


def test_urls_feed_files_and_article_paths_are_told_apart(tmp_path):
    feed = tmp_path / "wire.rss"
    feed.write_text("<rss/>")
    article = tmp_path / "story.xml.txt"
    article.write_text("Hello.")
    folder = tmp_path / "more"
    folder.mkdir()
    missing = tmp_path / "gone.atom"  # not a file: a missing path, reported by the file finder
    inputs = Inputs.sort(["https://example.org/feed.xml", str(feed), str(article), str(folder), str(missing), "http://x/a.html"])
    assert inputs.urls == ["https://example.org/feed.xml", "http://x/a.html"]
    assert inputs.feeds == [feed]
    assert inputs.files == [article, folder, Path(missing)]
