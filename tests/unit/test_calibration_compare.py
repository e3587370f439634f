"""The arithmetic that decides which calibration ships (eval/calibration_compare.py)."""

from __future__ import annotations

import pytest

from eval.calibration_compare import quality
from rag.reader.calibrate import Scored, fit, unanswerable_declined_at
from rag.reader.model import Calibration

# margins: answerable pairs read well sit high, unanswerable ones low, one wrong span in between
PAIRS = [Scored(6.0, True, 1.0), Scored(4.0, True, 0.8), Scored(1.0, True, 0.0), Scored(-2.0, False, 0.0), Scored(-5.0, False, 0.0)]


def test_quality_counts_declines_and_scores_as_squad2() -> None:
    # identity slope: confidence = sigmoid(margin); threshold 0.5 declines exactly the negative margins
    q = quality(Calibration(slope=1.0, intercept=0.0, threshold=0.5), PAIRS)
    assert q["answerable_declined"] == 0.0
    assert q["unanswerable_declined"] == 100.0
    assert q["squad2_f1"] == pytest.approx(100 * (1.0 + 0.8 + 0.0 + 1 + 1) / 5)


def test_quality_declining_everything_scores_only_the_unanswerable() -> None:
    q = quality(Calibration(slope=1.0, intercept=0.0, threshold=1.0), PAIRS)
    assert q["answerable_declined"] == 100.0
    assert q["squad2_f1"] == pytest.approx(40.0)


def test_a_confident_wrong_calibration_has_the_larger_error() -> None:
    fitted = fit(PAIRS * 4)
    overconfident = Calibration(slope=1.0, intercept=10.0, threshold=0.5)  # every pair near 1, two of five right
    assert quality(overconfident, PAIRS)["ece"] > quality(fitted, PAIRS)["ece"]
    assert quality(overconfident, PAIRS)["brier"] > quality(fitted, PAIRS)["brier"]


def test_the_trade_off_point_reads_the_margins_not_the_calibration() -> None:
    # ten answerable margins 0..9: the threshold that declines one of them (10 %) sits at 1
    pairs = [Scored(float(m), True, 1.0) for m in range(10)] + [Scored(m, False, 0.0) for m in (-3.0, 0.5, 0.9, 2.0, 8.0)]
    assert unanswerable_declined_at(pairs) == 60.0  # -3, 0.5 and 0.9 lie below 1
    assert unanswerable_declined_at(pairs, answerable_declined=0.0) == 20.0  # below 0: only -3
    assert unanswerable_declined_at(pairs[:10]) is None
