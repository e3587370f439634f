"""`rag chat` as a user runs it: a real subprocess reading a conversation from stdin."""

from __future__ import annotations

import os
import subprocess
import sys


def rag_chat(*args: str, data_dir, stdin: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "RAG_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "chat", *args], env=env, input=stdin, capture_output=True, text=True, timeout=300
    )


def test_a_terminal_conversation_resolves_follow_ups(seed_settings):
    out = rag_chat(
        data_dir=seed_settings.data_dir,
        stdin="Who is the US Treasury Secretary?\nWho joined him at the meeting?\n",
    )
    assert out.returncode == 0, out.stderr
    replies = out.stdout.removeprefix("> ").split("\n\n> ")  # input() prompts with "> " on stdout
    assert "Bessent" in replies[0].splitlines()[0]
    assert "John Hurley" in replies[1].splitlines()[0]
    assert "(searched for: Who joined Scott Bessent at the meeting?)" in out.stdout
    assert "--conversation " in out.stderr


def test_a_malformed_conversation_id_is_a_usage_error(seed_settings):
    out = rag_chat("--conversation", "not valid!", data_dir=seed_settings.data_dir, stdin="")
    assert out.returncode == 2
    assert "invalid conversation_id" in out.stderr
