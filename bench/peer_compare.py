"""Side by side: our pipeline and the Haystack peer, same questions, same chunks, same models.

Both run one question at a time in their own process with a cold cache (each question
asked once), so the latency ratio compares pipelines, not caches or HTTP stacks.
Quality is scored for both with the project's one definition of correct (eval.metrics,
built on rag.reader.squad): unanswerable questions count as right only when abstained.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from bench.stats import percentiles
from eval.metrics import answer_scores
from index.model_paths import resolve_model_path
from rag.service import Services
from rag.settings import Settings

PEER_SCRIPT = Path(__file__).with_name("peer_haystack.py")


def load_questions(path: Path) -> list[dict]:
    """Test questions as {question, answers}; `answers: []` marks a question the corpus cannot answer."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def quality(predictions: list[str | None], questions: list[dict]) -> dict:
    """EM/F1 (x100) over all questions, and F1 over the answerable ones only."""
    scores = [answer_scores(p, q["answers"]) for p, q in zip(predictions, questions)]
    answerable = [f1 for (_, f1), q in zip(scores, questions) if q["answers"]]
    return {
        "exact_match": round(100 * sum(em for em, _ in scores) / len(scores), 1),
        "f1": round(100 * sum(f1 for _, f1 in scores) / len(scores), 1),
        "f1_answerable": round(100 * sum(answerable) / max(1, len(answerable)), 1),
        "n": len(scores),
    }


def run_ours(settings: Settings, questions: list[dict]) -> dict:
    """Our AnswerPipeline in this process, models loaded before timing."""
    services = Services(settings)
    pipeline = services.warm_up()
    latencies, predictions = [], []
    for q in questions:
        t = time.perf_counter()
        answer = pipeline.ask(q["question"])
        latencies.append(1000 * (time.perf_counter() - t))
        predictions.append(answer.answer)
    services.store.close()
    return {"latency_ms": percentiles(latencies), "quality": quality(predictions, questions), "predictions": predictions}


def export_chunks(settings: Settings) -> list[dict]:
    """The exact chunks our index holds, so the peer retrieves over the same passages."""
    services = Services(settings)
    store = services.store
    ids = [int(i) for i in store.chunk_ids()]
    chunks = store.chunks(ids)
    store.close()
    return [{"chunk_id": c.chunk_id, "doc_id": c.doc_id, "text": c.text} for c in (chunks[i] for i in ids)]


def run_peer(peer_python: Path, settings: Settings, questions: list[dict], work_dir: Path, timeout: float = 900) -> dict:
    """The Haystack pipeline in its own venv; {'error': why} when it cannot be installed or run."""
    if not peer_python.exists():
        return {"error": f"{peer_python} not found: the peer venv is not installed (make bench creates it)"}
    spec = {
        "chunks": export_chunks(settings),
        "questions": [q["question"] for q in questions],
        "embedder": str(resolve_model_path(settings.embedding_model)),
        "reader": str(Path(settings.reader_model).resolve()),
        "top_k": settings.top_k,
        "answers": 3,
        "max_seq_length": settings.reader_max_length,
        "stride": settings.reader_stride,
        "torch_threads": settings.torch_threads,  # the same thread budget as ours
    }
    work_dir.mkdir(parents=True, exist_ok=True)
    spec_path, out_path = work_dir / "peer-spec.json", work_dir / "peer-result.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    proc = subprocess.run(
        [str(peer_python), str(PEER_SCRIPT), str(spec_path), str(out_path)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "HAYSTACK_TELEMETRY_ENABLED": "False"},
    )
    if proc.returncode != 0:
        return {"error": f"the peer exited with {proc.returncode}: {proc.stderr.strip()[-800:]}"}
    raw = json.loads(out_path.read_text(encoding="utf-8"))
    results = raw.pop("results")
    native = quality([r["answer"] for r in results], questions)
    spans = quality([r["best_span"] for r in results], questions)
    return {
        **raw,
        "latency_ms": percentiles([r["latency_ms"] for r in results]),
        # Haystack's own no-answer option vs always taking its best span: we compare with the better
        "quality": max(native, spans, key=lambda s: s["f1"]),
        "quality_native_no_answer": native,
        "quality_best_span": spans,
        "predictions": [r["answer"] for r in results],
    }


def compare(ours: dict, peer: dict) -> dict:
    """Latency ratio at p50 and mean (peer / ours: > 1 means we are faster) and the F1 difference."""
    if "error" in peer:
        return {"error": peer["error"]}
    return {
        "speedup_p50": round(peer["latency_ms"]["p50"] / ours["latency_ms"]["p50"], 2),
        "speedup_mean": round(peer["latency_ms"]["mean"] / ours["latency_ms"]["mean"], 2),
        "f1_ours_minus_peer": round(ours["quality"]["f1"] - peer["quality"]["f1"], 1),
    }
