"""A real `rag serve` in a child process on a loopback port, for the tests that need what only a
process has (signals, its exit code, its stderr log lines)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support import free_port

RAG = Path(sys.executable).with_name("rag")


def rag_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment for a `rag` child: offline, its own data dir, plus RAG_* overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    for key in ("RAG_READER", "RAG_TORCH_THREADS"):  # a developer's model/threads choice carries over
        if key in os.environ:
            env[key] = os.environ[key]
    env.update(HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", RAG_DATA_DIR=str(data_dir))
    env.update({f"RAG_{k.upper()}": v for k, v in settings.items()})
    return env


class ServeProcess:
    """`rag serve` started with Popen; stderr goes to a file the test can read as it grows."""

    def __init__(self, data_dir: Path, log_path: Path, *args: str, **settings: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [str(RAG), "serve", "--host", "127.0.0.1", "--port", str(self.port), *args],
            env=rag_env(data_dir, **settings),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"rag serve exited with {self.proc.returncode}:\n{self.log()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.25)
        raise TimeoutError(f"rag serve not ready after {timeout} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 40.0) -> int:
        """SIGTERM, as a process manager would; SIGKILL only if it does not exit in time."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()
        return self.proc.returncode

    def __enter__(self) -> ServeProcess:
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
