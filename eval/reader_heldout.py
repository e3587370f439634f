"""Score a reader directory on the held-out SQuAD articles, as shipped (fp32) or int8.

`rag train-reader` reports the held-out score of what it trains; this scores any reader
directory again under other inference settings (int8 dynamic quantisation, another
window length), so that every variant in eval/README.md is measured the same way.

    python -m eval.reader_heldout --model models/reader [--quantize] [--limit 500]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch
import transformers

from rag.reader.model import Reader
from rag.reader.squad import load_squad, split_by_article
from rag.reader.train import evaluate_heldout
from rag.settings import REPO_ROOT

DEFAULT_SQUAD = REPO_ROOT.parent / "shared" / "datasets" / "squad-v1.1-dev.json.zip"


def window_latency_ms(reader: Reader, contexts: list[str], question: str, repeats: int = 20) -> float:
    """Median time to read one full window (batch of one), the unit the product pays per passage."""
    budget = reader.max_length - len(reader.tokenizer(question)["input_ids"]) - 1
    window = reader.tokenizer.decode(reader.tokenizer(" ".join(contexts), add_special_tokens=False)["input_ids"][:budget])
    reader.read(question, [window])  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        reader.read(question, [window])
        times.append(1000 * (time.perf_counter() - t))
    return round(statistics.median(times), 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=REPO_ROOT / "models" / "reader")
    parser.add_argument("--squad", type=Path, default=DEFAULT_SQUAD)
    parser.add_argument("--quantize", action="store_true", help="int8 dynamic quantisation of the linear layers")
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--stride", type=int, default=96)
    parser.add_argument("--limit", type=int, default=None, help="score every n-th question to keep about this many")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    transformers.logging.set_verbosity_error()  # the whole-text tokenisation above warns about length
    _, heldout = split_by_article(load_squad(args.squad))
    if args.limit and args.limit < len(heldout):
        heldout = heldout[:: len(heldout) // args.limit][: args.limit]
    reader = Reader(args.model, max_length=args.max_length, stride=args.stride, quantize=args.quantize)
    result = evaluate_heldout(reader, heldout)
    result.update(
        model=str(args.model),
        quantize=args.quantize,
        max_length=args.max_length,
        threads=args.threads,
        ms_per_window=window_latency_ms(reader, [q.context for q in heldout[:20]], heldout[0].question),
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
