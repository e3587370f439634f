"""Files to articles: metadata, formats, and clear errors for bad files."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from index.parse import ParseError, find_article_files, parse_file


def test_seed_article_date_and_title(seeds_dir):
    [article] = parse_file(seeds_dir / "000_c7d228fbe93999e3.txt")
    assert article.doc_id == "000_c7d228fbe93999e3"
    assert article.date == dt.date(2025, 9, 9)
    assert article.title.startswith("US Treasury Secretary Scott Bessent")
    assert "date 2025-09-09" not in article.title
    # the stored text is the file's text, so offsets point into what the user has
    assert article.text == (seeds_dir / "000_c7d228fbe93999e3.txt").read_text(encoding="utf-8")
    # but the date marker is metadata: the prose (what is chunked and read) starts after it
    assert article.text[article.body_start :].lstrip().startswith("US Treasury Secretary Scott Bessent")


def test_header_only_file_is_a_clear_error(tmp_path):
    f = tmp_path / "empty.txt"
    f.write_text("title: Nothing here\ndate: 2025-01-01\n\n")
    with pytest.raises(ParseError, match="header lines but no text"):
        parse_file(f)


def test_title_is_not_cut_at_an_abbreviation(seeds_dir):
    [article] = parse_file(seeds_dir / "001_d5b0a6d685737f0d.txt")
    assert "the U.S. Treasury" in article.title


def test_header_lines_and_markdown_title(tmp_path):
    f = tmp_path / "note.md"
    f.write_text("date: 2024-01-02\nsource: Reuters\n\n# Rates held steady\n\nThe bank held rates.\n")
    [article] = parse_file(f)
    assert (article.title, article.date, article.source) == ("Rates held steady", dt.date(2024, 1, 2), "Reuters")


def test_html_visible_text_and_metadata(tmp_path):
    f = tmp_path / "page.html"
    f.write_text(
        "<html><head><title>Ignored</title><meta property='og:title' content='Storm hits coast'>"
        "<meta property='article:published_time' content='2023-10-01T08:00:00Z'>"
        "<meta property='og:site_name' content='Coast News'><script>var x = '<p>no</p>';</script></head>"
        "<body><h1>Storm hits coast</h1><p>Winds reached 120 km/h &amp; more.</p></body></html>"
    )
    [article] = parse_file(f)
    assert article.title == "Storm hits coast"
    assert article.date == dt.date(2023, 10, 1)
    assert article.source == "Coast News"
    assert "Winds reached 120 km/h & more." in article.text
    assert "var x" not in article.text


def test_json_and_jsonl_records(tmp_path):
    f = tmp_path / "feed.jsonl"
    f.write_text(
        json.dumps({"id": "a1", "title": "One", "body": "First text.", "published_at": "2023-11-27 08:45:59.000000000Z", "source": "Wire"})
        + "\n\n"
        + json.dumps({"text": "Second text."})
        + "\n"
    )
    a, b = parse_file(f)
    assert (a.doc_id, a.title, a.date, a.source) == ("a1", "One", dt.date(2023, 11, 27), "Wire")
    assert (b.doc_id, b.text) == ("feed-3", "Second text.")
    g = tmp_path / "one.json"
    g.write_text(json.dumps({"content": "Only text."}))
    assert parse_file(g)[0].doc_id == "one"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.txt", b"   \n", "empty"),
        ("latin1.txt", "café".encode("latin-1"), "not UTF-8"),
        ("bin.txt", b"\x00\x01\x02abc", "binary"),
        ("bad.json", b"{nope", "invalid JSON"),
        ("notext.json", b'{"title": "x"}', "no text field"),
        ("lines.jsonl", b'{"text": "ok"}\n{broken\n', ":2: invalid JSON"),
        ("doc.pdf", b"%PDF-1.4", "unsupported file type"),
        ("bad id.json", b'{"id": "a/b", "text": "x"}', "invalid doc_id"),
    ],
)
def test_bad_files_get_a_clear_error(tmp_path, name, data, message):
    f = tmp_path / name
    f.write_bytes(data)
    with pytest.raises(ParseError, match=message):
        parse_file(f)


def test_missing_path_is_reported_before_anything_happens(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        find_article_files([tmp_path, tmp_path / "nope"])


def test_folders_expand_to_supported_files(tmp_path, seeds_dir):
    (tmp_path / "skip.pdf").write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text("A.")
    files = find_article_files([tmp_path, seeds_dir])
    assert [f.name for f in files][0] == "a.txt"
    assert len(files) == 6
