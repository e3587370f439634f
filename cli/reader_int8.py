"""`rag build-reader-int8`: the int8 reader built from the shipped weights (rag/reader/int8.py).

Here, not in rag/, because it wires data from both sides: SQuAD v1.1 train (rag.reader.squad) and the
calibration half of the news set (eval.news_set), both training-side; never a dev or evaluation set.
`make install` runs it once; the result is cached beside the reader, git-ignored.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from rag.settings import REPO_ROOT

DATASETS = REPO_ROOT.parent / "shared" / "datasets"
SQUAD_TRAIN = DATASETS / "squad-v1.1-train-rebuilt.json.gz"
# 100 windows as the measurement used, news included; 300 refit pairs: 150 questions + negatives
CALIBRATION_SQUAD, CALIBRATION_NEWS, REFIT_QUESTIONS = 70, 30, 150


def build_reader_int8(model_dir: Path, threads: int | None = None, seed: int = 13) -> dict:
    """Quantise the reader in `model_dir` on training-side windows and refit its calibration."""
    from eval.news_set import build_pairs
    from rag.reader.calibrate import with_negatives
    from rag.reader.int8 import build_int8, training_side_pairs
    from rag.reader.squad import SquadQuestion, load_squad

    train = load_squad(SQUAD_TRAIN)
    news = [
        SquadQuestion(p["id"], p["question"], p["context"], (p["answer"],) if p["answer"] else (), -1, p["article"])
        for p in build_pairs(DATASETS)["calibration"]
    ]
    pairs = training_side_pairs(train, news, CALIBRATION_SQUAD, CALIBRATION_NEWS, seed)
    refit = with_negatives(train, REFIT_QUESTIONS, random.Random(seed + 1))
    return build_int8(model_dir, pairs, refit, threads=threads)


def add_parser(sub) -> None:
    p = sub.add_parser("build-reader-int8", help="build the int8 OpenVINO reader from the shipped weights (make install does)")
    p.add_argument("--model", type=Path, default=None, help="reader directory (default: the configured reader)")
    p.add_argument("--if-missing", action="store_true", help="do nothing when a current build exists")


def cmd_build_reader_int8(args, settings) -> int:
    from rag.reader.int8 import int8_dir, is_current

    model_dir = args.model or settings.reader_model
    if args.if_missing and is_current(model_dir):
        print(json.dumps({"int8": str(int8_dir(model_dir)), "built": False}))
        return 0
    report = build_reader_int8(model_dir, settings.torch_threads)
    print(json.dumps({"int8": str(int8_dir(model_dir)), "built": True, **report}))
    return 0
