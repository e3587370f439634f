"""Graceful shutdown of a real `rag serve`: SIGTERM stops new connections but lets a request
already in flight finish with 200; the process then exits. Also its logs: one JSON object
a line, each request's lines carrying its id."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import time

import httpx
import pytest

from tests.serve_process import ServeProcess


@pytest.fixture(scope="module")
def served(seed_settings, tmp_path_factory):
    root = tmp_path_factory.mktemp("served")
    data_dir = root / "data"
    shutil.copytree(seed_settings.data_dir, data_dir)
    server = ServeProcess(data_dir, root / "serve.log")
    with server:
        yield server


def test_logs_are_json_lines_with_the_request_id(served):
    r = httpx.post(
        f"{served.url}/v1/ask", json={"question": "Who is the French President?"}, headers={"X-Request-ID": "trace-me-42"}, timeout=60
    )
    assert r.status_code == 200 and r.headers["x-request-id"] == "trace-me-42"
    generated = httpx.get(f"{served.url}/v1/documents").headers["x-request-id"]
    time.sleep(0.5)  # the access line is written as the response ends
    entries = [json.loads(line) for line in served.log().splitlines() if line.strip()]  # every line is JSON
    access = [e for e in entries if e["logger"] == "rag.access"]
    mine = next(e for e in access if e.get("request_id") == "trace-me-42")
    assert mine["route"] == "/v1/ask" and mine["status"] == 200 and mine["duration_ms"] > 0
    assert any(e.get("request_id") == generated and e["route"] == "/v1/documents" for e in access)
    assert len(generated) == 32  # a fresh uuid4 hex when the client sends none


def test_sigterm_lets_the_request_in_flight_finish(served):
    """The request is provably in flight: its headers and half its body are sent before the
    signal, the rest after it."""
    body = json.dumps({"question": "Who is the French President?", "top_k": 5}).encode()
    head = (f"POST /v1/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", served.port), timeout=60) as conn:
        conn.sendall(head + body[:10])
        time.sleep(0.3)  # let the server read the headers and start the request
        served.proc.terminate()
        time.sleep(1.0)
        assert served.proc.poll() is None, "the server quit with a request in flight"
        with pytest.raises(httpx.ConnectError):  # no new connections once shutting down
            httpx.get(f"{served.url}/healthz", timeout=2)
        conn.sendall(body[10:])
        response = b""
        while chunk := conn.recv(65536):
            response += chunk
    status_line, _, rest = response.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 200 OK", response[:300]
    assert json.loads(rest.partition(b"\r\n\r\n")[2])["passages"]
    # uvicorn re-raises the signal once it has shut down cleanly, so the exit reads "killed by SIGTERM"
    assert served.proc.wait(30) in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in served.log()
