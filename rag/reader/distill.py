"""A smaller reader that learns from the accurate one (issue 22, lever 3): a student made of some of the
teacher's own layers, trained on the teacher's start/end distributions as well as on the gold span.

Why these choices:
- The student starts as the teacher with layers dropped (evenly spaced, the top one kept), not from a
  pretrained small encoder: its embeddings, the kept layers and the span head already speak the teacher's
  language, which is what lets published 6-layer students get near their teachers on SQuAD.
- Soft targets carry what the gold span alone does not: how plausible the other spans are, which is what the
  reader's confidence and its "not in the text" decision are read from.
- Padding positions are masked out of both distributions, so a batch padded to its longest window teaches
  nothing about padding.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from index.errors import UsageError


def kept_layers(total: int, keep: int) -> list[int]:
    """`keep` evenly spaced layer indices of `total`, always ending with the top layer (the span head reads it)."""
    if not 0 < keep <= total:
        raise UsageError(f"a student keeps between 1 and {total} layers, not {keep}")
    step = total / keep
    return [round(total - 1 - step * i) for i in reversed(range(keep))]


def student_of(teacher: torch.nn.Module, keep: int) -> torch.nn.Module:
    """A copy of `teacher` with only `kept_layers` of its encoder; its config says the new depth, so it saves
    and loads as an ordinary model of that size."""
    student = copy.deepcopy(teacher)
    encoder = student.base_model.encoder
    layers = kept_layers(len(encoder.layer), keep)
    encoder.layer = torch.nn.ModuleList(encoder.layer[i] for i in layers)
    student.config.num_hidden_layers = keep
    return student


def _masked(logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return logits.float().masked_fill(mask == 0, torch.finfo(torch.float32).min)


def distillation_loss(
    student_out, teacher_out, attention_mask: torch.Tensor, gold_loss: torch.Tensor, weight: float, temperature: float
) -> torch.Tensor:
    """`weight` × KL(teacher ‖ student) at `temperature` (scaled by its square, so its gradients keep their size
    whatever the temperature) plus (1 − `weight`) × the gold-span loss, for start and end alike."""
    soft = 0.0
    for name in ("start_logits", "end_logits"):
        s = _masked(getattr(student_out, name), attention_mask) / temperature
        t = _masked(getattr(teacher_out, name), attention_mask) / temperature
        soft = soft + F.kl_div(F.log_softmax(s, dim=-1), F.log_softmax(t, dim=-1), log_target=True, reduction="batchmean")
    return weight * temperature**2 * soft / 2 + (1 - weight) * gold_loss


@dataclass
class Teacher:
    """The frozen model a student learns from, with how much its distributions weigh against the gold span."""

    model: torch.nn.Module
    weight: float = 0.5
    temperature: float = 2.0

    def __post_init__(self) -> None:
        self.model.eval().requires_grad_(False)

    def loss(self, student_out, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        inputs = {k: v for k, v in batch.items() if k not in ("start_positions", "end_positions")}
        with torch.no_grad():
            teacher_out = self.model(**inputs)
        return distillation_loss(student_out, teacher_out, batch["attention_mask"], student_out.loss, self.weight, self.temperature)
