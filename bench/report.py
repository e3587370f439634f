"""The results as a table (printed, and pasteable into the README), JSON and a PNG plot."""

from __future__ import annotations

import json
from pathlib import Path

TARGETS = {
    "ingest_chunks_per_s": 200,
    "query_p50_ms": 60,
    "query_p95_ms": 150,
    "speedup_vs_peer": 2.0,
    "faiss_p50_ms": 20,
    "faiss_recall": 0.95,
    "faiss_memory_mb": 1536,
}


def _met(ok: bool | None) -> str:
    return "—" if ok is None else ("met" if ok else "NOT met")


def _fmt(value, unit: str = "") -> str:
    return "n/a" if value is None else f"{value}{unit}"


def rows(results: dict) -> list[tuple[str, str, str, str]]:
    """(what, measured, target, met?) for every figure the issue asks for that this run measured."""
    out: list[tuple[str, str, str, str]] = []
    if ing := results.get("ingest"):
        out.append(
            (
                f"ingest ({ing['articles']:,} articles, {ing['chunks']:,} chunks, {ing['text_mb']} MB)",
                f"{ing['chunks_per_s']} chunks/s, {ing['mb_per_s']} MB/s",
                f"≥ {TARGETS['ingest_chunks_per_s']} chunks/s",
                _met(ing["chunks_per_s"] >= TARGETS["ingest_chunks_per_s"]),
            )
        )
    if up := results.get("startup"):
        out.append(
            (
                "`rag serve` on the seed index: launch to /readyz ready",
                f"{up['ready_s']} s (every reader shape built in the background by {up['reader_shapes_warm_s']} s)",
                "≤ 10 s",
                _met(up["ready_s"] <= 10),
            )
        )
    if ask := results.get("cli_ask"):
        out.append(
            (
                "`rag ask` one question, launch to exit: through the running server / `--local`",
                f"{ask['via_server']['median_s']} s (median of {ask['via_server']['runs']}) / {ask['local']['median_s']} s",
                "≤ 3 s",
                _met(ask["via_server"]["median_s"] <= 3),
            )
        )
    if lat := results.get("latency"):
        e2e, first = lat["end_to_end_ms"], lat["first_pass_ms"]
        out.append(
            (
                f"query end to end, HTTP, 1 client, seed corpus (n={e2e['n']})",
                f"p50 {e2e['p50']} / p95 {e2e['p95']} / p99 {e2e['p99']} ms",
                f"p50 ≤ {TARGETS['query_p50_ms']}, p95 ≤ {TARGETS['query_p95_ms']} ms",
                _met(e2e["p50"] <= TARGETS["query_p50_ms"] and e2e["p95"] <= TARGETS["query_p95_ms"]),
            )
        )
        out.append(
            (
                f"  first pass only (no cached question embeddings, n={first['n']})",
                f"p50 {first['p50']} / p95 {first['p95']} / p99 {first['p99']} ms",
                "",
                "",
            )
        )
        stages = ", ".join(f"{k.removesuffix('_ms')} {v['p50']}" for k, v in lat["stages_ms"].items())
        out.append(("  per stage, p50 ms (server-side)", stages, "", ""))
    for conc in results.get("concurrency", []):
        out.append(
            (
                f"throughput, {conc['clients']} concurrent clients",
                f"{conc['qps']} answers/s (p50 {conc['latency_ms']['p50']} ms, p95 {conc['latency_ms']['p95']} ms, {conc['errors']} errors)",
                "",
                "",
            )
        )
    if mem := results.get("server_peak_rss_mb"):
        out.append(("server peak memory (RSS)", f"{mem} MB", "", ""))
    if (peer := results.get("peer")) and (ours := results.get("ours")):
        cmp = results.get("comparison", {})
        if "error" in peer:
            out.append(("Haystack peer", f"not run: {peer['error'][:200]}", "≥ 2× faster at ≥ F1", "—"))
        else:
            out.append(
                (
                    f"in-process per question, ours vs Haystack (n={ours['latency_ms']['n']})",
                    f"p50 {ours['latency_ms']['p50']} vs {peer['latency_ms']['p50']} ms: {cmp['speedup_p50']}× "
                    f"(mean {cmp['speedup_mean']}×)",
                    f"≥ {TARGETS['speedup_vs_peer']}×",
                    _met(cmp["speedup_p50"] >= TARGETS["speedup_vs_peer"] and cmp["f1_ours_minus_peer"] >= 0),
                )
            )
            out.append(
                (
                    "  EM / F1, ours vs Haystack",
                    f"{ours['quality']['exact_match']} / {ours['quality']['f1']} vs "
                    f"{peer['quality']['exact_match']} / {peer['quality']['f1']}",
                    "F1 ours ≥ peer",
                    _met(cmp["f1_ours_minus_peer"] >= 0),
                )
            )
    for f in results.get("faiss", []):
        if "error" in f:
            out.append((f"FAISS {f['kind']} {f['factory']} n={f['n']:,}", f"failed: {f['error'][:160]}", "", "NOT met"))
            continue
        chosen = f.get("chosen")
        if chosen is None:
            best = max(f["points"], key=lambda p: p.get("recall_at_10", 0))
            measured = f"no setting reached recall 0.95 (best {best.get('recall_at_10')} at {best['params']})"
            ok = False
        else:
            measured = f"{chosen['params'] or 'exact'}: p50 {chosen['latency_ms']['p50']} ms, recall@10 {chosen['recall_at_10']}"
            ok = chosen["latency_ms"]["p50"] <= TARGETS["faiss_p50_ms"] and f["peak_rss_mb"] < TARGETS["faiss_memory_mb"]
        out.append(
            (
                f"FAISS {f['kind']} `{f['factory']}`, n={f['n']:,}",
                f"{measured}; build {f['build_seconds']} s; peak RSS {f['peak_rss_mb']:.0f} MB (index {f['index_mb']:.0f} MB)",
                "≤ 20 ms p50, recall ≥ 0.95, < 1.5 GB",
                _met(ok),
            )
        )
    if check := results.get("product_index_check"):
        out.append((f"product with RAG_VECTOR_INDEX={check['factory']}", check["summary"], "works end to end", _met(check["ok"])))
    return out


def markdown_table(results: dict) -> str:
    lines = ["| what | measured | target | |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows(results)]
    return "\n".join(lines)


def write_json(results: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1, default=str) + "\n", encoding="utf-8")


def plot(results: dict, path: Path) -> None:
    """Four panels: stage latencies, throughput by clients, ours vs peer, FAISS recall vs latency."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    ax = axes[0][0]
    if lat := results.get("latency"):
        stages = {k.removesuffix("_ms"): v for k, v in lat["stages_ms"].items() if k != "total_ms"}
        ax.bar(list(stages), [v["p50"] for v in stages.values()], label="p50")
        ax.bar(
            list(stages), [v["p95"] - v["p50"] for v in stages.values()], bottom=[v["p50"] for v in stages.values()], alpha=0.4, label="p95"
        )
        e2e = lat["end_to_end_ms"]
        ax.set_title(f"query stages (server), HTTP end to end p50 {e2e['p50']} ms")
        ax.set_ylabel("ms")
        ax.legend()
    ax = axes[0][1]
    if conc := results.get("concurrency"):
        ax.plot([c["clients"] for c in conc], [c["qps"] for c in conc], "o-", label="answers/s")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("concurrent clients")
        ax.set_ylabel("answers/s")
        ax2 = ax.twinx()
        ax2.plot([c["clients"] for c in conc], [c["latency_ms"]["p95"] for c in conc], "s--", color="tab:red", label="p95 ms")
        ax2.set_ylabel("p95 latency, ms")
        ax.set_title("throughput through HTTP")
    ax = axes[1][0]
    ours, peer = results.get("ours"), results.get("peer")
    if ours and peer and "error" not in peer:
        names = ["ours", "Haystack"]
        ax.bar(names, [ours["latency_ms"]["p50"], peer["latency_ms"]["p50"]], color=["tab:blue", "tab:gray"])
        for i, q in enumerate([ours["quality"], peer["quality"]]):
            ax.annotate(f"F1 {q['f1']}", (i, 0), textcoords="offset points", xytext=(0, 5), ha="center", color="white")
        ax.set_ylabel("p50 ms per question (in process)")
        ax.set_title("side by side, same questions, chunks and models")
    ax = axes[1][1]
    for f in results.get("faiss", []):
        points = [p for p in f.get("points", []) if "recall_at_10" in p]
        if points:
            ax.plot([p["latency_ms"]["p50"] for p in points], [p["recall_at_10"] for p in points], "o-", label=f"{f['kind']} n={f['n']:,}")
    ax.axhline(0.95, color="gray", ls=":")
    ax.axvline(20, color="gray", ls=":")
    ax.set_xscale("log")
    ax.set_xlabel("p50 ms per query")
    ax.set_ylabel("recall@10 vs flat")
    ax.set_title("FAISS at scale")
    ax.legend(fontsize=8)
    fig.suptitle(f"{results.get('machine', '')}, {results.get('date', '')}, load average {results.get('loadavg_1min_at_start')}")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
