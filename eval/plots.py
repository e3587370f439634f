"""PNG plots of per-question results (matplotlib, Agg backend: no display needed).

Colour carries the outcome class, not just the F1 height, because "wrong answer", "no
answer given" and "answered an unanswerable question" are different bugs with
different fixes (reader, threshold, retrieval) and all have F1 = 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from eval.metrics import QuestionResult  # noqa: E402

OUTCOMES = {  # name: colour
    "exact": "#2ca02c",
    "partial": "#ff9f1c",
    "wrong answer": "#d62728",
    "no answer given": "#7f7f7f",
    "correct no-answer": "#1f77b4",
    "answered unanswerable": "#9467bd",
}
STUB = 0.04  # F1 = 0 bars are drawn this high so their colour shows
LABELLED_MAX = 100  # above this many questions, tick labels would overlap


def outcome(r: QuestionResult) -> str:
    if not r.answerable:
        return "correct no-answer" if r.predicted is None else "answered unanswerable"
    if r.predicted is None:
        return "no answer given"
    if r.exact_match == 1.0:
        return "exact"
    return "partial" if r.f1 > 0 else "wrong answer"


def _figure(n: int, rows: int):
    width = min(max(10.0, 0.2 * n + 2), 30.0)
    return plt.subplots(rows, 1, figsize=(width, 3.2 * rows + 0.8), sharex=True, squeeze=False)


def _label_x(ax, results: Sequence[QuestionResult]) -> None:
    if len(results) <= LABELLED_MAX:
        ax.set_xticks(range(len(results)), [r.id for r in results], rotation=90, fontsize=7)
    else:
        ax.set_xlabel("question (file order)")


def _outcome_legend(ax, kinds: list[str], ncol: int = 6) -> None:
    counts = Counter(kinds)
    handles = [Patch(color=c, label=f"{k} ({counts[k]})") for k, c in OUTCOMES.items() if counts[k]]
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=ncol, fontsize=8, frameon=False)


def plot_per_question(results: Sequence[QuestionResult], path: Path) -> Path:
    """F1 per question coloured by outcome, and the rank of the first gold-document passage."""
    fig, axes = _figure(len(results), 2)
    ax_f1, ax_rank = axes[0, 0], axes[1, 0]
    x = range(len(results))
    kinds = [outcome(r) for r in results]
    heights = [r.f1 if r.answerable else 1.0 if r.predicted is None else 0.0 for r in results]
    ax_f1.bar(x, [max(h, STUB) for h in heights], color=[OUTCOMES[k] for k in kinds], width=0.8)
    ax_f1.set_ylim(0, 1.05)
    ax_f1.set_ylabel("F1 (stub = 0)")
    ax_f1.set_title("answer per question (unanswerable: 1 = correctly gave no answer)", fontsize=9, pad=22)
    _outcome_legend(ax_f1, kinds)

    depth = max([len(r.retrieved_doc_ids) for r in results] + [1])
    found = [(i, r.gold_rank) for i, r in enumerate(results) if r.gold_doc_ids and r.gold_rank]
    missed = [i for i, r in enumerate(results) if r.gold_doc_ids and not r.gold_rank]
    ax_rank.bar([i for i, _ in found], [rank for _, rank in found], color="#1f77b4", width=0.8, label="rank of first gold passage")
    ax_rank.scatter(missed, [depth + 1] * len(missed), marker="x", color="#d62728", label=f"gold not in top {depth}")
    ax_rank.set_ylim(0, depth + 1.8)
    ax_rank.set_yticks(range(1, depth + 1))
    ax_rank.invert_yaxis()  # rank 1 at the top: taller-down bars are worse
    ax_rank.set_ylabel("retrieval rank")
    ax_rank.set_title("rank of the first passage from a gold document (blank: no gold documents)", fontsize=9)
    ax_rank.legend(fontsize=8, loc="lower right")
    _label_x(ax_rank, results)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_latency(results: Sequence[QuestionResult], path: Path) -> Path:
    """Latency per question (in file order, to spot warm-up and slow outliers) and its spread."""
    fig, (ax_q, ax_h) = plt.subplots(1, 2, figsize=(12, 4.2), gridspec_kw={"width_ratios": [3, 1]})
    ms = [r.latency_ms for r in results]
    ax_q.bar(range(len(ms)), ms, color=[OUTCOMES[outcome(r)] for r in results], width=0.8)
    ax_q.set_ylabel("latency (ms)")
    ax_q.set_title("latency per question, coloured by outcome", fontsize=9, pad=34)
    _outcome_legend(ax_q, [outcome(r) for r in results], ncol=3)
    _label_x(ax_q, results)
    ax_h.hist(ms, bins=min(30, max(5, len(ms) // 4)), color="#7f7f7f")
    ax_h.set_xlabel("latency (ms)")
    ax_h.set_ylabel("questions")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# the reader's no-answer target (reader v3 issue, on SQuAD 2.0's evaluation half): decline at least 70 % of the
# unanswerable questions while declining at most 10 % of the answerable ones
TARGET_ANSWERABLE_DECLINED, TARGET_UNANSWERABLE_DECLINED = 10, 70


def plot_tradeoff(rows: Sequence[dict], chosen: float, title: str, path: Path) -> Path:
    """The calibration trade-off: answerable questions declined against unanswerable ones declined,
    one point per threshold, the shipped threshold marked, and the target region shaded."""
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.axvspan(
        0,
        TARGET_ANSWERABLE_DECLINED,
        ymin=TARGET_UNANSWERABLE_DECLINED / 100,
        ymax=1.0,
        color="#2ca02c",
        alpha=0.15,
        label=f"target: decline <= {TARGET_ANSWERABLE_DECLINED} % answerable, >= {TARGET_UNANSWERABLE_DECLINED} % unanswerable",
    )
    ax.plot([r["answerable_declined"] for r in rows], [r["unanswerable_declined"] for r in rows], "-", color="#1f77b4")
    at = min(rows, key=lambda r: abs(r["threshold"] - chosen))  # the grid holds the shipped threshold itself
    ax.plot(
        [at["answerable_declined"]],
        [at["unanswerable_declined"]],
        "o",
        color="#d62728",
        label=f"shipped threshold {chosen:.3f}: {at['answerable_declined']:.1f} % / {at['unanswerable_declined']:.1f} %",
    )
    for r in [r for r in rows if r["threshold"] <= 0.5][:: max(1, len(rows) // 16)]:
        ax.annotate(f"{r['threshold']:.2f}", (r["answerable_declined"], r["unanswerable_declined"]), fontsize=7, color="#555555")
    ax.set(
        xlim=(0, 100), ylim=(0, 100), xlabel="answerable questions declined (%)", ylabel="unanswerable questions declined (%)", title=title
    )
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
