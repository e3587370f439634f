"""The int8 reader (OpenVINO, built from the shipped weights) reads as the float32 one does.

Real models on real SQuAD dev questions (the shipped reader saw none of them): the int8 build is
the one `make install` makes; when it is missing or stale this test builds it the same way.
"""

from __future__ import annotations

import numpy as np
import pytest

from rag.reader.int8 import is_current
from rag.reader.model import Reader
from rag.reader.squad import load_squad, split_by_article
from rag.settings import REPO_ROOT, Settings

pytest.importorskip("openvino", reason="the int8 runtime needs openvino (a declared dependency)")
SQUAD_DEV = REPO_ROOT.parent / "shared" / "datasets" / "squad-v1.1-dev.json.zip"


@pytest.fixture(scope="module")
def int8_reader() -> Reader:
    s = Settings()
    if not is_current(s.reader_model):
        from cli.reader import build_reader_int8

        build_reader_int8(s.reader_model)
    return Reader(s.reader_model, max_length=s.reader_max_length, stride=s.reader_stride, runtime="openvino-int8")


@pytest.fixture(scope="module")
def dev_questions():
    _, heldout = split_by_article(load_squad(SQUAD_DEV))
    return heldout[::40][:24]  # spread over the held-out articles


def test_int8_reads_the_answers_float32_reads(reader: Reader, int8_reader: Reader, dev_questions) -> None:
    pairs = [(q.question, q.context) for q in dev_questions]
    fp32 = reader.predict(pairs)
    int8 = int8_reader.predict(pairs)
    same = [a.text == b.text for a, b in zip(fp32, int8)]
    assert np.mean(same) >= 0.85, [(a.text, b.text) for a, b in zip(fp32, int8) if a.text != b.text]
    # the logits move (about 1 at most, bench/README.md); the span-vs-null margin drives the confidence
    moved = np.array([abs(a.margin - b.margin) for a, b in zip(fp32, int8)])
    assert np.median(moved) < 1.0 and moved.max() < 4.0, moved.round(2)


def test_int8_reads_padded_batches_as_single_windows(int8_reader: Reader, dev_questions) -> None:
    """One batch pads every window to the longest: padding must not change any answer."""
    pairs = [(q.question, q.context) for q in dev_questions[:6]]
    batched = int8_reader.predict(pairs)
    alone = [int8_reader.predict([p])[0] for p in pairs]
    assert [p.text for p in batched] == [p.text for p in alone]
    assert np.allclose([p.margin for p in batched], [p.margin for p in alone], atol=0.3)
