"""POST /slack/events: Slack's Events API deliveries, slash commands and the URL check, handed
to the bot's bolt App as they came (RAG_SLACK_MODE=http; the bot itself: server/slack/)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response

from server.slack.bot import SlackBot

EVENTS_PATH = "/slack/events"

router = APIRouter()


@router.post(EVENTS_PATH, include_in_schema=False)
async def slack_events(request: Request) -> Response:
    """Events API deliveries, slash commands and the URL check, all handed to bolt as they came."""
    bot: SlackBot | None = getattr(request.app.state, "slack", None)
    if bot is None or bot.mode != "http":
        raise HTTPException(status_code=404, detail="the Slack HTTP endpoint is off (RAG_SLACK_MODE=http turns it on)")
    body = await request.body()
    # dispatch blocks briefly (signature check, the first auth.test, the ack): keep it off the event loop
    bolt_response = await run_in_threadpool(bot.app.dispatch, to_bolt_request(request, body))
    return to_starlette_response(bolt_response)
