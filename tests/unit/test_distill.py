"""Which teacher layers a student keeps, and the distillation loss on hand-made logits."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from index.errors import UsageError
from rag.reader.distill import distillation_loss, kept_layers


def test_a_student_keeps_evenly_spaced_layers_ending_at_the_top():
    assert kept_layers(12, 6) == [1, 3, 5, 7, 9, 11]
    assert kept_layers(12, 4) == [2, 5, 8, 11]
    assert kept_layers(12, 12) == list(range(12))
    assert kept_layers(12, 1) == [11]
    for bad in (0, 13):
        with pytest.raises(UsageError):
            kept_layers(12, bad)


def _out(start: list[float], end: list[float]) -> SimpleNamespace:
    return SimpleNamespace(start_logits=torch.tensor([start]), end_logits=torch.tensor([end]))


def test_the_soft_loss_is_zero_for_the_teachers_own_logits_and_ignores_padding():
    mask = torch.tensor([[1, 1, 1, 0]])
    gold = torch.tensor(0.7)
    teacher = _out([2.0, 0.5, -1.0, 9.0], [0.0, 3.0, 1.0, -9.0])
    same_but_padding = _out([2.0, 0.5, -1.0, -50.0], [0.0, 3.0, 1.0, 50.0])
    assert distillation_loss(same_but_padding, teacher, mask, gold, weight=1.0, temperature=2.0).item() == pytest.approx(0.0, abs=1e-6)
    assert distillation_loss(same_but_padding, teacher, mask, gold, weight=0.0, temperature=2.0).item() == pytest.approx(0.7)
    other = _out([-1.0, 0.5, 2.0, 0.0], [1.0, 0.0, 3.0, 0.0])
    assert distillation_loss(other, teacher, mask, gold, weight=1.0, temperature=2.0).item() > 0.1
