"""Socket Mode end to end: the server, started with RAG_SLACK_MODE=socket, dials a local
stand-in for Slack's WebSocket, acknowledges a pushed event and answers it in the thread."""

from __future__ import annotations

from pydantic import SecretStr

from tests.slack_standin import QUESTION, SlackStandIn, SocketModeStandIn, event_callback, mention, next_ts
from tests.support import running_server


def test_socket_mode_receives_acknowledges_and_answers(seed_settings):
    with SlackStandIn() as standin, SocketModeStandIn() as socket:
        standin.socket_url = socket.url
        settings = seed_settings.model_copy(
            update={
                "slack_mode": "socket",
                "slack_bot_token": SecretStr("xoxb-test-token"),
                "slack_app_token": SecretStr("xapp-1-A0RAGTEST-1-test"),
                "slack_api_base_url": standin.api_base_url,
            }
        )
        with running_server(settings):
            assert socket.connected.wait(timeout=30), "the bot never opened the Socket Mode connection"
            assert standin.matching(lambda c: c.method == "apps.connections.open")
            ts = next_ts()
            socket.push(event_callback(mention("C0SOCKET", QUESTION, ts)), envelope_id="env-1")
            assert socket.wait_for_ack("env-1")["envelope_id"] == "env-1"
            post = standin.reply_in("C0SOCKET", ts)
            assert post.payload["thread_ts"] == ts and post.payload["blocks"]
