"""Build the int8 reader: OpenVINO post-training quantisation by NNCF, from the shipped weights.

Why this recipe: the 12 FFN output projections read GELU outputs whose outliers one activation scale per
tensor cannot hold (torch dynamic int8 cost the shipped reader 34 F1 points, ONNX Runtime static int8 51).
NNCF's transformer preset quantises activations asymmetrically and, with SmoothQuant, moves the outliers
into the weights, which hold them per channel; on SQuAD dev the answers stay those of float32
(bench/README.md). Calibration windows come from the training side only: SQuAD v1.1 train and the
calibration half of the news set, never a dev or evaluation set.

Why built, not shipped: the int8 model is ~110 MB more in every clone (the packed weights already are
110 MB) while building it takes a minute or two once (figures in bench/README.md). So `make install`
builds it into `<reader>/.openvino-int8/` (git-ignored), keyed by a fingerprint of the weights it came
from; a reader whose cache is missing or stale runs in torch until it is rebuilt.

The int8 model moves the logits by up to about 1. build.json records how far the span-vs-null margins
moved on training pairs, and a refit of the confidence calibration (the trainer's recipe: SQuAD train
questions, each also against another article's paragraph) for comparison; the reader keeps the shipped
calibration. On the busy Zen 3 the refit over 300 pairs moved the threshold from margin 0.1 to 1.3,
more than the margins moved, so it is fitting noise until measured on the evaluation halves.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from rag.reader.squad import SquadQuestion

log = logging.getLogger(__name__)

CACHE_NAME = ".openvino-int8"
RECIPE = "nncf-ptq-transformer-smoothquant-0.95-v1"  # bump when the recipe below changes
_SAMPLE_EVERY = 8_000_000


def int8_dir(model_dir: Path) -> Path:
    return model_dir / CACHE_NAME


def fingerprint(model_dir: Path) -> str:
    """Identifies the weights an int8 model was built from: config, tokenizer and every weight file's size
    and a 64 KB sample every 8 MB (hashing all 110 MB would add a quarter second to every start)."""
    digest = hashlib.sha256(RECIPE.encode())
    for path in sorted(p for p in model_dir.iterdir() if p.is_file() and p.suffix in (".json", ".safetensors")):
        if path.name in ("calibration.json", "training_report.json"):
            continue
        size = path.stat().st_size
        digest.update(f"{path.name}:{size}".encode())
        with path.open("rb") as f:
            for offset in range(0, size, _SAMPLE_EVERY):
                f.seek(offset)
                digest.update(f.read(65_536))
    return digest.hexdigest()[:16]


def is_current(model_dir: Path) -> bool:
    """An int8 model is built for exactly these weights and this recipe."""
    report = int8_dir(model_dir) / "build.json"
    if not (int8_dir(model_dir) / "reader.xml").exists() or not report.exists():
        return False
    return json.loads(report.read_text()).get("fingerprint") == fingerprint(model_dir)


class _SpanLogits(torch.nn.Module):
    """The span model with plain tensor outputs, which is what the OpenVINO converter traces."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.model(input_ids=input_ids, attention_mask=attention_mask)
        return out.start_logits, out.end_logits


def calibration_windows(tokenizer, pairs: list[tuple[str, str]], max_length: int, stride: int) -> list[dict[str, np.ndarray]]:
    """One tokenised window per item, padded as the reader pads them (to a multiple of 32)."""
    from rag.reader.model import PAD_MULTIPLE

    windows = []
    for question, context in pairs:
        enc = tokenizer(
            question,
            context,
            truncation="only_second",
            max_length=max_length,
            stride=stride,
            return_overflowing_tokens=True,
            padding=True,
            pad_to_multiple_of=PAD_MULTIPLE,
            return_tensors="np",
        )
        for i in range(len(enc["input_ids"])):
            windows.append({k: enc[k][i : i + 1].astype(np.int64) for k in ("input_ids", "attention_mask")})
    return windows


def build_int8(
    model_dir: Path,
    calibration_pairs: list[tuple[str, str]],
    refit_questions: list[SquadQuestion],
    max_length: int = 256,
    stride: int = 96,
    threads: int | None = None,
    refit: bool = False,
) -> dict:
    """Quantise the reader in `model_dir` into `int8_dir(model_dir)`; returns the build report.
    `refit`: also fit a confidence calibration on `refit_questions` for comparison (minutes of
    reading; the reader keeps the shipped calibration, so `make install` does not pay for it)."""
    import nncf
    import openvino as ov
    from transformers import AutoTokenizer

    from rag.reader.calibrate import fit, score_pairs
    from rag.reader.model import Reader
    from rag.reader.runtime import OpenVINORuntime
    from rag.reader.weights import load_qa_model

    if "token_type_ids" in AutoTokenizer.from_pretrained(model_dir).model_input_names:
        raise ValueError(f"{model_dir}: the int8 build traces input_ids and attention_mask only")
    t0 = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    windows = calibration_windows(tokenizer, calibration_pairs, max_length, stride)
    model = _SpanLogits(load_qa_model(model_dir).eval())
    # traced with padding in the mask: transformers drops an all-ones mask from the graph it builds
    example = {"input_ids": torch.full((2, 64), tokenizer.pad_token_id or 0), "attention_mask": torch.ones(2, 64, dtype=torch.long)}
    example["attention_mask"][:, -8:] = 0
    with torch.inference_mode():
        ov_model = ov.convert_model(model, example_input=example)
    quantized = nncf.quantize(
        ov_model,
        nncf.Dataset(windows),
        model_type=nncf.ModelType.TRANSFORMER,
        preset=nncf.QuantizationPreset.MIXED,
        subset_size=len(windows),
        advanced_parameters=nncf.AdvancedQuantizationParameters(smooth_quant_alphas=nncf.AdvancedSmoothQuantParameters(matmul=0.95)),
    )
    out = int8_dir(model_dir)
    out.mkdir(exist_ok=True)
    (out / "build.json").unlink(missing_ok=True)  # no reader uses a half-written model
    (out / "calibration.json").unlink(missing_ok=True)  # an earlier recipe wrote one; the reader no longer reads it
    ov.save_model(quantized, out / "reader.xml")
    quantize_s = time.perf_counter() - t0

    t1 = time.perf_counter()
    reader = Reader(model_dir, max_length=max_length, stride=stride, threads=threads)
    sample = [(q.question, q.context) for q in refit_questions[:: max(1, len(refit_questions) // 60)]]
    fp32 = reader.predict(sample)
    reader.runtime = OpenVINORuntime(out / "reader.xml", threads)  # not yet current: build.json comes last
    int8 = reader.predict(sample)
    moved = np.array([abs(a.margin - b.margin) for a, b in zip(fp32, int8)])
    calibration = fit(score_pairs(reader, refit_questions)) if refit else None
    report = {
        "fingerprint": fingerprint(model_dir),
        "recipe": RECIPE,
        "openvino": ov.__version__,
        "nncf": nncf.__version__,
        "calibration_windows": len(windows),
        "refit_pairs": len(refit_questions) if refit else 0,
        "quantize_seconds": round(quantize_s, 1),
        "refit_seconds": round(time.perf_counter() - t1, 1),
        "refit_calibration": asdict(calibration) if calibration else None,  # for comparison with the shipped fit, not used
        # how far int8 moved the span-vs-null margin, and how often it kept the float32 span
        "check_pairs": len(sample),
        "margin_moved_median": round(float(np.median(moved)), 3),
        "margin_moved_max": round(float(moved.max()), 3),
        "same_span_share": round(float(np.mean([a.text == b.text for a, b in zip(fp32, int8)])), 3),
        "bytes": sum(p.stat().st_size for p in out.iterdir()),
    }
    (out / "build.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def training_side_pairs(
    squad_train: list[SquadQuestion], news_calibration: list[SquadQuestion], n_squad: int, n_news: int, seed: int = 13
) -> list[tuple[str, str]]:
    """Calibration (question, passage) pairs: SQuAD train and the news set's calibration half, answerable
    and not (news negatives are passages of other articles, which retrieval hands the reader too)."""
    rng = random.Random(seed)
    squad = rng.sample(squad_train, min(n_squad, len(squad_train)))
    news = rng.sample(news_calibration, min(n_news, len(news_calibration)))
    return [(q.question, q.context) for q in squad + news]
