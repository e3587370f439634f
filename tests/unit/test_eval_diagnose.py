"""eval.diagnose puts each miss where its fix would have to go."""

from __future__ import annotations

from eval.diagnose import CAUSES, diagnose


def _row(id_, golds, predicted, em, gold_rank=1, doc_ids=("d1",)):
    return {
        "id": id_,
        "golds": list(golds),
        "predicted": predicted,
        "exact_match": em,
        "gold_rank": gold_rank,
        "gold_doc_ids": list(doc_ids),
    }


def test_each_miss_gets_one_cause():
    open_run = {
        "results": [
            _row("ok", ["x"], "x", 1.0),
            _row("miss", ["x"], "y", 0.0, gold_rank=None),
            _row("distracted", ["x"], "y", 0.0),
            _row("reader", ["x"], "y", 0.0),
            _row("unans", [], "y", 0.0, gold_rank=None, doc_ids=()),
            _row("declined", ["x"], None, 0.0),
        ]
    }
    gold_run = {
        "results": [
            _row("ok", ["x"], "x", 1.0),
            _row("miss", ["x"], "x", 1.0),
            _row("distracted", ["x"], "x", 1.0),
            _row("reader", ["x"], "z", 0.0),
            _row("unans", [], "y", 0.0),
            _row("declined", ["x"], None, 0.0),
        ]
    }
    found = diagnose(open_run, gold_run)
    assert found == {
        CAUSES[0]: ["miss"],
        CAUSES[1]: ["distracted"],
        CAUSES[2]: ["reader"],
        CAUSES[3]: ["unans"],
        CAUSES[4]: ["declined"],
    }
