"""The extractive reader: our own span model, decoded by hand.

transformers >= 5.19 has no question-answering pipeline, and decoding start/end logits
ourselves is what gives exact character offsets into the passage, so the citation
offsets the product returns come straight from the tokenizer's offset mapping.
"""

from __future__ import annotations

import json
import math
import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from transformers import AutoTokenizer

from index.errors import RagError
from rag.reader.focus import focus_span
from rag.reader.int8 import int8_dir, is_current
from rag.reader.runtime import ReaderRuntime, RuntimeUnavailable, TorchRuntime, load_runtime

CALIBRATION_FILE = "calibration.json"
# Windows are padded to a multiple of this many tokens. In bfloat16, oneDNN builds its kernels
# for each new input shape (a new (batch, length) pair measured 12-15 ms slower the first time),
# so a few length buckets, built once by `warm_up`, beat padding to exactly the longest window.
PAD_MULTIPLE = 32


@dataclass(frozen=True)
class Calibration:
    """Maps the span-vs-null logit margin to P(answer is right); fitted on training articles."""

    slope: float = 1.0
    intercept: float = 0.0
    threshold: float = 0.5

    def confidence(self, margin: float) -> float:
        z = self.slope * margin + self.intercept
        return 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0

    @classmethod
    def load(cls, model_dir: Path) -> Calibration:
        path = model_dir / CALIBRATION_FILE
        if not path.exists():
            return cls()
        data = json.loads(path.read_text())
        return cls(slope=data["slope"], intercept=data["intercept"], threshold=data["threshold"])


@dataclass(frozen=True)
class SpanPrediction:
    """The best span the model sees in one context (character offsets into that context)."""

    start: int
    end: int
    text: str
    span_score: float  # start logit + end logit of the best span
    null_score: float  # start logit + end logit of [CLS]: "no answer here"

    @property
    def margin(self) -> float:
        return self.span_score - self.null_score


class ReaderModelError(RagError, RuntimeError):
    pass


def best_spans(
    start_logits: torch.Tensor,
    end_logits: torch.Tensor,
    context_mask: torch.Tensor,
    max_answer_tokens: int,
    n: int = 1,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The `n` best (start, end) per window with start <= end < start + max_answer_tokens, both in
    context, best first: (window, n) tensors of start token, end token and score.

    Vectorised over the batch: a (window, L, L) score grid masked to legal spans.
    """
    length = start_logits.shape[1]
    scores = start_logits[:, :, None] + end_logits[:, None, :]
    legal = torch.ones(length, length, dtype=torch.bool, device=scores.device)
    legal = torch.triu(legal) & ~torch.triu(legal, diagonal=max_answer_tokens)
    legal = legal[None] & context_mask[:, :, None] & context_mask[:, None, :]
    scores = scores.masked_fill(~legal, float("-inf"))
    top = scores.view(scores.shape[0], -1).topk(min(n, length * length), dim=1)
    return top.indices // length, top.indices % length, top.values


class Reader:
    """Reads (question, passage) pairs and returns the best answer span in each passage."""

    def __init__(
        self,
        model_dir: str | Path,
        max_length: int = 256,
        stride: int = 96,
        max_answer_tokens: int = 30,
        batch_size: int = 16,
        runtime: str = "torch-fp32",
        threads: int | None = None,
        device: str = "cpu",
        focus_tokens: int | None = None,
        model: torch.nn.Module | None = None,
    ) -> None:
        """`model`: span weights already in memory (a training run scoring itself between slices);
        `model_dir` then only supplies the tokenizer and the calibration."""
        self.model_dir = Path(model_dir)
        if not (self.model_dir / "config.json").exists():
            raise ReaderModelError(
                f"no reader model in {self.model_dir} (expected config.json and weights); "
                "train one with `rag train-reader` or set RAG_READER"
            )
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        self.tokenizer = AutoTokenizer.from_pretrained(self.model_dir)
        if runtime == "openvino-int8" and not is_current(self.model_dir):
            raise RuntimeUnavailable(f"no current int8 build of {self.model_dir}: run `rag build-reader-int8`")
        self.runtime: ReaderRuntime = (
            TorchRuntime(self.model_dir, device=device, model=model)
            if model is not None
            else load_runtime(runtime, self.model_dir, int8_dir(self.model_dir), threads, device)
        )
        self.max_length = max_length
        self.stride = stride
        self.max_answer_tokens = max_answer_tokens
        self.batch_size = batch_size
        self.focus_tokens = focus_tokens
        # every runtime keeps the shipped calibration: int8 moves the margins by a median under 1 (checked by
        # tests/integration/test_reader_runtime.py); the build's refit is recorded in build.json, not used
        # until it is measured against the shipped one on the evaluation halves
        self.calibration = Calibration.load(self.model_dir)

    def warm_up(self, max_batch: int, stop: threading.Event | None = None) -> None:
        """Runs every padded shape a question can take (up to `max_batch` windows at once), so
        that no user pays for building a kernel; `stop` ends it between two shapes."""
        for length in range(PAD_MULTIPLE, self.max_length + 1, PAD_MULTIPLE):
            for batch in range(1, min(max_batch, self.batch_size) + 1):
                if stop is not None and stop.is_set():
                    return
                ids = torch.full((batch, length), self.tokenizer.pad_token_id or 0)
                mask = torch.ones_like(ids)
                mask[:, -1] = 0  # real windows are padded, and a mask with padding takes other kernels
                inputs = {"input_ids": ids, "attention_mask": mask}
                if "token_type_ids" in self.tokenizer.model_input_names:
                    inputs["token_type_ids"] = torch.zeros_like(ids)
                self.runtime.logits(inputs)

    def read(self, question: str, contexts: list[str]) -> list[SpanPrediction]:
        return self.predict([(question, c) for c in contexts])

    def _count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def predict(self, pairs: list[tuple[str, str]]) -> list[SpanPrediction]:
        """One prediction per pair: the best span over all of that pair's windows."""
        return [spans[0] for spans in self.predict_nbest(pairs, 1)]

    def predict_nbest(self, pairs: list[tuple[str, str]], n: int) -> list[list[SpanPrediction]]:
        """Up to `n` spans per pair, best first, none overlapping another: a list question's
        answers are several spans of one passage, each scored against the same "no answer".
        With `focus_tokens`, only the part of each passage around its best-matching sentences
        is read (`focus.py`), and offsets are mapped back to the whole passage."""
        if not self.focus_tokens:
            return self._predict_nbest(pairs, n)
        cuts = [focus_span(q, c, self.focus_tokens, self._count_tokens) for q, c in pairs]
        predictions = self._predict_nbest([(q, c[s:e]) for (q, c), (s, e) in zip(pairs, cuts)], n)
        return [
            [replace(p, start=p.start + s, end=p.end + s, text=c[p.start + s : p.end + s]) for p in spans]
            for spans, (s, _), (_, c) in zip(predictions, cuts, pairs)
        ]

    @torch.inference_mode()
    def _predict_nbest(self, pairs: list[tuple[str, str]], n: int) -> list[list[SpanPrediction]]:
        if not pairs:
            return []
        enc = self.tokenizer(
            [q for q, _ in pairs],
            [c for _, c in pairs],
            truncation="only_second",
            max_length=self.max_length,
            stride=self.stride,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
            padding=True,
            pad_to_multiple_of=PAD_MULTIPLE,
            return_tensors="pt",
        )
        sample_of_window = enc.pop("overflow_to_sample_mapping").tolist()
        offsets = enc.pop("offset_mapping")
        context_mask = torch.tensor([[sid == 1 for sid in enc.sequence_ids(i)] for i in range(len(sample_of_window))])
        inputs = {k: v for k, v in enc.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
        # overlapping spans crowd the top of the grid ("Macron", "Emmanuel Macron", "Macron,"), so
        # more are ranked than kept
        ranked = 1 if n == 1 else 8 * n
        starts, ends, span_scores, null_scores = [], [], [], []
        for lo in range(0, len(sample_of_window), self.batch_size):
            s_logits, e_logits = self.runtime.logits({k: v[lo : lo + self.batch_size] for k, v in inputs.items()})
            s, e, score = best_spans(s_logits, e_logits, context_mask[lo : lo + self.batch_size], self.max_answer_tokens, ranked)
            starts.append(s)
            ends.append(e)
            span_scores.append(score)
            null_scores.append(s_logits[:, 0] + e_logits[:, 0])
        start_tok = torch.cat(starts).tolist()
        end_tok = torch.cat(ends).tolist()
        span_score = torch.cat(span_scores).tolist()
        null_score = torch.cat(null_scores).tolist()

        windows_of: dict[int, list[int]] = {}
        for w, sample in enumerate(sample_of_window):
            windows_of.setdefault(sample, []).append(w)
        predictions = []
        for sample, (_, context) in enumerate(pairs):
            windows = windows_of[sample]
            # "no answer" is as strong as the most confident window says it is
            null = min(null_score[x] for x in windows)
            ranked_spans = sorted(((span_score[w][i], w, i) for w in windows for i in range(len(span_score[w]))), key=lambda t: -t[0])
            kept: list[SpanPrediction] = []
            for score, w, i in ranked_spans:
                if kept and score == float("-inf"):
                    break  # fewer legal spans than asked for
                char_start = int(offsets[w, start_tok[w][i], 0])
                char_end = int(offsets[w, end_tok[w][i], 1])
                if any(char_start < k.end and k.start < char_end for k in kept):
                    continue
                kept.append(SpanPrediction(char_start, char_end, context[char_start:char_end], score, null))
                if len(kept) == n:
                    break
            predictions.append(kept)
        return predictions
