"""GET /metrics (Prometheus text format) and request ids, on the real seed-index server."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families


def scrape(url: str) -> dict[str, list]:
    r = httpx.get(f"{url}/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return {family.name: family.samples for family in text_string_to_metric_families(r.text)}


def value(samples, name: str, **labels) -> float:
    return sum(s.value for s in samples if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))


def test_metrics_count_requests_by_route_template_and_status(live_server):
    doc_id = httpx.get(f"{live_server}/v1/documents").json()[0]["doc_id"]
    before = scrape(live_server)["rag_http_requests"]
    assert httpx.get(f"{live_server}/v1/documents/{doc_id}").status_code == 200
    assert httpx.get(f"{live_server}/v1/documents/no-such-doc").status_code == 404
    assert httpx.get(f"{live_server}/some/random/path-123").status_code == 404
    after = scrape(live_server)
    requests = after["rag_http_requests"]
    route = "/v1/documents/{doc_id}"
    for status in ("200", "404"):
        assert value(requests, "rag_http_requests_total", route=route, status=status) == 1 + value(
            before, "rag_http_requests_total", route=route, status=status
        )
    routes = {s.labels["route"] for s in requests}
    assert "<unmatched>" in routes and not any("no-such-doc" in r or "path-123" in r for r in routes)
    latency = after["rag_http_request_duration_seconds"]
    assert value(latency, "rag_http_request_duration_seconds_count", route=route, status="200") >= 1


def test_metrics_record_pipeline_stages_answers_and_index_size(live_server):
    before = scrape(live_server)
    r = httpx.post(f"{live_server}/v1/ask", json={"question": "Who is the French President?"}, timeout=60)
    assert r.status_code == 200
    after = scrape(live_server)
    stages = after["rag_pipeline_stage_seconds"]
    for stage in ("embed", "dense", "bm25", "fuse", "read", "total"):
        count = value(stages, "rag_pipeline_stage_seconds_count", stage=stage)
        assert count == value(before.get("rag_pipeline_stage_seconds", []), "rag_pipeline_stage_seconds_count", stage=stage) + 1
    answers = value(after["rag_answers"], "rag_answers_total") - value(before.get("rag_answers", []), "rag_answers_total")
    assert answers == 1
    ready = httpx.get(f"{live_server}/readyz").json()
    assert value(after["rag_index_documents"], "rag_index_documents") == ready["documents"] == 5
    assert value(after["rag_index_chunks"], "rag_index_chunks") == ready["chunks"]
    assert value(after["rag_index_vectors"], "rag_index_vectors") == ready["vectors"]


def test_request_id_is_echoed_or_generated(live_server):
    assert httpx.get(f"{live_server}/healthz", headers={"X-Request-ID": "abc-123.x"}).headers["x-request-id"] == "abc-123.x"
    generated = httpx.get(f"{live_server}/healthz").headers["x-request-id"]
    assert len(generated) == 32 and int(generated, 16) >= 0
    forged = httpx.get(f"{live_server}/healthz", headers={"X-Request-ID": "x" * 500}).headers["x-request-id"]
    assert forged != "x" * 500 and len(forged) == 32  # an id that could not be logged safely is replaced
