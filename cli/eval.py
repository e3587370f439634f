"""`rag eval` (answers and retrieval against a test set) and `rag eval-reader` (the reader
alone on a SQuAD-layout file)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from cli.common import checked_top_k, services
from eval.plots import plot_tradeoff
from eval.reader_eval import Selection, score_reader
from eval.report import format_table, write_report
from eval.run import run_eval
from index.errors import UsageError
from rag.reader.calibrate import tradeoff
from rag.reader.squad import load_squad
from rag.settings import Settings


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    top_k = checked_top_k(args.top_k, settings)
    result = run_eval(args.testset, settings, args.corpus, top_k, progress=not args.json, gold_docs=args.gold_docs)
    for error in result.errors:
        print(f"rag eval: {error}", file=sys.stderr)
    paths = write_report(result, args.out or Path("eval/out") / args.testset.stem)
    print(json.dumps(result.summary) if args.json else format_table(result))
    print(f"report: {', '.join(map(str, paths))}", file=sys.stderr)
    return 0


def cmd_eval_reader(args: argparse.Namespace, settings: Settings) -> int:
    if not args.file.is_file():
        raise UsageError(f"file not found: {args.file}")
    if args.limit is not None and args.limit < 1:
        raise UsageError("--limit must be at least 1")
    questions = Selection(args.limit, args.seed, args.first_articles, tuple(args.exclude_article), args.skip_articles).apply(
        load_squad(args.file)
    )
    if not questions:
        raise UsageError(f"{args.file}: no questions left to score")
    if args.curve and len({bool(q.answers) for q in questions}) < 2:
        raise UsageError("--curve needs a file with both answerable and unanswerable questions")
    if args.model is not None:
        settings = settings.model_copy(update={"reader": str(args.model)})
    reader = services(settings).reader
    try:
        score = score_reader(reader, questions, progress=not args.json)
    except ValueError as exc:  # gold answers missing from the file
        raise UsageError(f"{args.file}: {exc}") from None
    summary = {"file": str(args.file), "model": str(settings.reader_model), **score.summary()}
    if args.predictions:
        args.predictions.write_text(json.dumps(score.predictions, indent=1) + "\n")
    if args.curve:
        grid = np.union1d(np.round(np.arange(0.0, 1.0001, 0.01), 3), [reader.calibration.threshold])
        rows = tradeoff(reader.calibration, score.scored, grid)
        plot_tradeoff(rows, reader.calibration.threshold, f"{args.file.name}, {settings.reader_model.name}", args.curve)
        summary["curve"] = str(args.curve)
    if args.json:
        print(json.dumps(summary))
    else:
        for key, value in summary.items():
            print(f"{key:>22}  {value}")
    return 0


def add_eval(p: argparse.ArgumentParser) -> None:
    p.add_argument("testset", type=Path, help="JSON Lines: {id, question, answers, doc_ids} a line")
    p.add_argument("--corpus", type=Path, help="ingest this folder into a temporary index and evaluate over it")
    p.add_argument("--top-k", type=int, default=None, help="passages to read per question")
    p.add_argument("--out", type=Path, help="report folder (default eval/out/TESTSET-NAME)")
    p.add_argument("--json", action="store_true", help="print only the summary, as one JSON object")
    p.add_argument("--gold-docs", action="store_true", help="retrieve only from each question's doc_ids (scores the reader alone)")
    p.set_defaults(func=cmd_eval)


def add_eval_reader(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path, help="SQuAD v1.1 layout: .json, .json.gz or .zip")
    p.add_argument("--model", type=Path, help="reader directory (default: RAG_READER, the shipped reader)")
    p.add_argument("--limit", type=int, help="score a random sample of N questions")
    p.add_argument("--seed", type=int, default=13, help="seed of that sample")
    p.add_argument("--first-articles", type=int, metavar="N", help="only the N alphabetically first titles (the trainer's held-out split)")
    p.add_argument(
        "--skip-articles", type=int, metavar="N", help="all but the N alphabetically first titles (17: SQuAD 2.0 rebuilt's evaluation half)"
    )
    p.add_argument(
        "--exclude-article", action="append", default=[], metavar="TITLE", help="leave out this article's questions (repeatable)"
    )
    p.add_argument("--predictions", type=Path, metavar="OUT", help='write {id: answer} ("" when declined), as the official script reads it')
    p.add_argument("--curve", type=Path, metavar="PNG", help="plot declined answerable vs unanswerable questions over every threshold")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_eval_reader)


COMMANDS = {"eval": add_eval, "eval-reader": add_eval_reader}
