"""Test-set loading: malformed lines are reported by number and the rest is still read."""

from __future__ import annotations

import json
from pathlib import Path

from eval.testset import Conversation, EvalQuestion, load_testset

REPO = Path(__file__).resolve().parents[2]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_malformed_lines_are_named_and_skipped(tmp_path):
    good = json.dumps({"id": "q1", "question": "Who?", "answers": ["Macron"], "doc_ids": ["004"]})
    lines = [
        good,  # 1
        '{"id": "q2", "question": "Who?", "answers": ["x"]',  # 2 truncated JSON
        "",  # 3 blank: skipped silently
        '["not", "an", "object"]',  # 4
        json.dumps({"id": "q3", "answers": []}),  # 5 no question
        json.dumps({"id": "q4", "question": "Who?", "answers": "Macron"}),  # 6 answers not a list
        json.dumps({"id": "q1", "question": "Again?", "answers": []}),  # 7 duplicate id
        json.dumps({"id": "q5", "question": "When?", "answers": [], "extra": 1}),  # 8 fine, extra ignored
    ]
    ts = load_testset(_write(tmp_path / "t.jsonl", lines))
    assert [i.id for i in ts.items] == ["q1", "q5"]
    assert [e.split(":")[0] for e in ts.errors] == ["line 2", "line 4", "line 5", "line 6", "line 7"]
    assert "not valid JSON" in ts.errors[0]
    assert "question" in ts.errors[2] and "answers" in ts.errors[3]
    assert "duplicate id 'q1'" in ts.errors[4]
    q5 = ts.items[1]
    assert isinstance(q5, EvalQuestion) and q5.answers == () and q5.doc_ids == () and q5.line == 8


def test_conversations_keep_their_turns_in_order(tmp_path):
    conv = {
        "id": "c1",
        "turns": [
            {"question": "Who leads the EU delegation?", "answers": ["David O’Sullivan"]},
            {"question": "And when did he arrive?", "answers": ["Monday"], "doc_ids": ["003"]},
        ],
    }
    ts = load_testset(_write(tmp_path / "c.jsonl", [json.dumps(conv), json.dumps({"id": "c2", "turns": []})]))
    assert ts.errors and ts.errors[0].startswith("line 2:")
    (item,) = ts.items
    assert isinstance(item, Conversation)
    assert [t.id for t in item.turns] == ["c1#1", "c1#2"]
    assert item.turns[1].doc_ids == ("003",)
    assert ts.n_questions == 2


def test_seed_set_is_valid_and_grounded_in_the_articles():
    """Every gold answer is a substring of a listed article, and every listed article holds one."""
    ts = load_testset(REPO / "eval" / "seeds_qa.jsonl")
    assert not ts.errors
    assert len(ts.items) >= 40
    texts = {p.stem: p.read_text(encoding="utf-8") for p in (REPO / "seeds").glob("*.txt")}
    unanswerable = [q for q in ts.items if not q.answers]
    assert len(unanswerable) >= 5 and all(not q.doc_ids for q in unanswerable)
    covered = set()
    for q in ts.items:
        for gold in q.answers:
            assert any(gold in texts[d] for d in q.doc_ids), (q.id, gold)
        for d in q.doc_ids:
            assert any(g in texts[d] for g in q.answers), (q.id, d)
            covered.add(d)
    assert covered == set(texts)


def test_time_set_is_dated_and_grounded_in_its_corpus():
    """The time-sensitive set: every question has its `as_of`, every gold answer is in a listed
    article, and every article it leans on is dated (from a header or its dateline)."""
    from index.parse import parse_file

    ts = load_testset(REPO / "eval" / "time_qa.jsonl")
    assert not ts.errors and len(ts.items) >= 12
    articles = {p.stem: a for p in (REPO / "eval" / "time_corpus").glob("*.txt") for a in parse_file(p)}
    assert all(a.date for a in articles.values())
    for q in ts.items:
        assert q.as_of is not None, q.id
        for gold in q.answers:
            assert any(gold in articles[d].text for d in q.doc_ids), (q.id, gold)
