"""Test helpers: a real uvicorn server on 127.0.0.1, started and stopped in-process."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import uvicorn

from rag.service import Services
from rag.settings import Settings
from server.app import create_app

SEEDS_DIR = Settings().reader_model.parent.parent / "seeds"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(settings: Settings, ready_timeout: float = 600.0, preloaded: Services | None = None) -> Iterator[str]:
    """Serve create_app(settings) with uvicorn on a free loopback port; yield its base URL.
    `preloaded`: services the test also uses directly, so the models load once."""
    port = free_port()
    app = create_app(settings, preloaded=preloaded)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + ready_timeout
    try:
        while True:
            if not thread.is_alive():
                raise RuntimeError("the server exited during start-up")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise TimeoutError("the server did not become ready")
            time.sleep(0.2)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=30)


# the seeds name two Presidents of the European Council: Charles Michel in the 2022 article and
# António Costa in the 2025 one (dates from seeds/metadata.json); asked as of 2023 only the first exists
COUNCIL = "Who is the President of the European Council?"
BEFORE_COSTA = "2023-06-01"


def assert_nothing_after(answer: dict, as_of: str) -> None:
    """No date an answer (JSON, as the API returns it) names is after `as_of`: not its own,
    not a citation's, not an earlier answer's, not a passage's."""
    dates = [answer.get("date")] + [c["date"] for c in answer.get("citations", [])]
    dates += [e["date"] for e in answer.get("earlier", [])] + [c["date"] for e in answer.get("earlier", []) for c in e["citations"]]
    dates += [p["date"] for p in answer.get("passages", [])]
    assert all(d is None or d <= as_of for d in dates), dates
