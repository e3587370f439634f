"""The Slack bot: a slack_bolt App wired to our listeners, served over HTTP or Socket Mode.

Two ways in, one bot. `RAG_SLACK_MODE=http`: Slack POSTs Events API deliveries and slash
commands to `/slack/events` on our FastAPI app (server/routes/slack.py); bolt checks the signature (401 when missing,
stale or wrong), answers the `url_verification` challenge, and acknowledges at once while the
listener works on a thread. `RAG_SLACK_MODE=socket`: the bot dials out to Slack over a
WebSocket (no public URL needed), started by the server's lifespan or by `rag slack`.

We use bolt's synchronous App: the pipeline is blocking CPU work, so bolt's thread pool is
what runs it anyway, and it needs no extra HTTP client library.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

from index.errors import RagError
from rag.service import Services
from rag.settings import Settings
from server.middleware.timeouts import ModelCalls
from server.slack.dedupe import DropRepeatedEvents, SeenEvents
from server.slack.handlers import SlackListeners, SlackResponder

log = logging.getLogger(__name__)

# bolt's threads only acknowledge and wait on the model pool, so there can be many: a full pool
# would delay `/ask` acknowledgements past Slack's 3 seconds
LISTENER_THREADS = 32
_REQUIRED = {
    "http": ("slack_bot_token", "slack_signing_secret"),
    "socket": ("slack_bot_token", "slack_app_token"),
}


class SlackConfigError(RagError, ValueError):
    """Slack is switched on but a token or secret it needs is missing (a usage error: exit 2)."""

    exit_code = 2


def check_settings(settings: Settings) -> None:
    """Fail at start-up, by name, rather than at the first event (an empty signing secret would accept forgeries)."""
    missing = [name for name in _REQUIRED.get(settings.slack_mode, ()) if not _secret(settings, name)]
    if missing:
        names = ", ".join("RAG_" + m.upper() for m in missing)
        raise SlackConfigError(f"RAG_SLACK_MODE={settings.slack_mode} needs {names} (see README, Slack)")


def _secret(settings: Settings, name: str) -> str:
    value = getattr(settings, name)
    return value.get_secret_value() if value is not None else ""


def build_bolt_app(settings: Settings, services: Services, seen: SeenEvents, model_calls: ModelCalls) -> App:
    """The bolt App with our listeners; Web API calls go to `slack_api_base_url` (a stand-in in tests)."""
    check_settings(settings)
    client = WebClient(token=_secret(settings, "slack_bot_token"), base_url=settings.slack_api_base_url)
    app = App(
        name="rag-news",
        client=client,
        signing_secret=_secret(settings, "slack_signing_secret"),
        # auth.test on the first event, not at start-up: the API server must start even if Slack is unreachable
        token_verification_enabled=False,
        process_before_response=False,  # ack first, answer on bolt's thread pool
        logger=logging.getLogger("slack_bolt"),
        listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="slack"),
    )
    app.use(DropRepeatedEvents(seen))
    listeners = SlackListeners(SlackResponder(services, model_calls))
    app.event("app_mention")(listeners.on_mention)
    app.event("message")(listeners.on_message)
    app.command("/ask")(ack=listeners.ack_ask, lazy=[listeners.answer_ask])
    return app


class SlackBot:
    """The bot's lifetime inside a process: the bolt App, its event memory, and the Socket Mode connection.

    `model_calls`: the server's model pool, shared with the API; `rag slack` has no server and
    makes its own.
    """

    def __init__(self, settings: Settings, services: Services, model_calls: ModelCalls | None = None) -> None:
        self.mode = settings.slack_mode
        self._own_model_calls = model_calls is None
        self._model_calls = model_calls or ModelCalls(settings.model_timeout_seconds, settings.model_concurrency)
        self._seen = SeenEvents(settings.data_dir / "slack_events.sqlite3")
        self.app = build_bolt_app(settings, services, self._seen, self._model_calls)
        self.socket: SocketModeHandler | None = None
        if self.mode == "socket":
            self.socket = SocketModeHandler(self.app, app_token=_secret(settings, "slack_app_token"))

    def connect(self) -> None:
        """Socket Mode: open the WebSocket and return (the client runs on its own threads)."""
        if self.socket is not None:
            self.socket.connect()
            log.info("Slack Socket Mode connected")

    def run_forever(self) -> None:
        """Socket Mode in the foreground, for `rag slack`; returns on Ctrl-C."""
        if self.socket is None:
            raise SlackConfigError("run_forever needs RAG_SLACK_MODE=socket")
        self.socket.start()

    def close(self) -> None:
        if self.socket is not None:
            self.socket.close()
        if self._own_model_calls:
            self._model_calls.shutdown()
        self._seen.close()


def start_slack(settings: Settings, services: Services, model_calls: ModelCalls) -> SlackBot | None:
    """Called by the server lifespan: None when Slack is off."""
    if settings.slack_mode == "off":
        return None
    bot = SlackBot(settings, services, model_calls)
    bot.connect()
    return bot
