"""What people read after `rag eval`: a terminal table, report.json, report.md and plots.

Per-question rows come first in every form, because the summary only says *how much* is
wrong; the rows say *which* questions, and that is what someone fixing the system needs.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from eval.metrics import QuestionResult
from eval.run import EvalResult

HEADLINE = (
    "n",
    "exact_match",
    "f1",
    "answerable_f1",
    "no_answer_accuracy",
    "answerable_abstain_rate",
    "recall_at_1",
    "recall_at_5",
    "answer_band_n",
    "answer_band_exact_match",
    "possible_band_n",
    "possible_band_exact_match",
    "mrr",
    "latency_ms_p50",
    "latency_ms_p95",
)
COLUMNS = ("id", "EM", "F1", "rank", "ms", "predicted", "gold", "question")


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _cells(r: QuestionResult, width: int) -> list[str]:
    return [
        r.id,
        f"{r.exact_match:.0f}",
        f"{r.f1:.2f}",
        "-" if not r.gold_doc_ids else str(r.gold_rank or "miss"),
        f"{r.latency_ms:.0f}",
        _clip("(no answer)" if r.predicted is None else r.predicted, width),
        _clip(r.golds[0] if r.golds else "(no answer)", width),
        _clip(r.question, 2 * width),
    ]


def _fmt(key: str, value) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.1f}" if key.startswith("latency") else f"{value:.3f}"
    return str(value)


def format_table(result: EvalResult, width: int = 28) -> str:
    """Fixed-width text for a terminal: one line a question, then the headline numbers."""
    rows = [list(COLUMNS)] + [_cells(r, width) for r in result.results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.append("")
    lines += [f"{key:<24} {_fmt(key, result.summary.get(key))}" for key in HEADLINE]
    return "\n".join(lines)


def render_markdown(result: EvalResult, plots: list[str]) -> str:
    def md(cell: str) -> str:
        return cell.replace("|", "\\|")

    out = [f"# Evaluation of `{result.testset}`", ""]
    if result.corpus:
        out += [f"Corpus: `{result.corpus}` (ingested into a temporary index).", ""]
    out += ["| metric | value |", "|---|---|"]
    out += [f"| {k} | {_fmt(k, v)} |" for k, v in result.summary.items()]
    out += ["", "Settings: " + ", ".join(f"`{k}={v}`" for k, v in result.settings.items()), ""]
    out += [f"![{name}]({name})" for name in plots] + [""]
    if result.errors:
        out += ["## Problems in the test set", ""] + [f"- {md(e)}" for e in result.errors] + [""]
    out += ["## Per question", "", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    out += ["| " + " | ".join(md(c) for c in _cells(r, 60)) + " |" for r in result.results]
    return "\n".join(out) + "\n"


def to_json(result: EvalResult) -> dict:
    return {
        "testset": result.testset,
        "corpus": result.corpus,
        "summary": result.summary,
        "settings": result.settings,
        "errors": result.errors,
        "results": [dataclasses.asdict(r) for r in result.results],
    }


def write_report(result: EvalResult, out_dir: Path) -> list[Path]:
    """report.json, report.md and the PNG plots in `out_dir` (created); returns the paths."""
    from eval.plots import plot_latency, plot_per_question

    out_dir.mkdir(parents=True, exist_ok=True)
    plots = [plot_per_question(result.results, out_dir / "per_question.png"), plot_latency(result.results, out_dir / "latency.png")]
    json_path = out_dir / "report.json"
    json_path.write_text(json.dumps(to_json(result), indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    md_path = out_dir / "report.md"
    md_path.write_text(render_markdown(result, [p.name for p in plots]), encoding="utf-8")
    return [json_path, md_path, *plots]
