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
