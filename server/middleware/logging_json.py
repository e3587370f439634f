"""Structured logs: one JSON object per line, each carrying the id of the request it belongs to.

Log shippers (journald, Loki, CloudWatch…) parse a JSON line without a grok pattern, and a
request id on every line of a request (access line, warnings, the traceback of a 500) is
what lets an operator follow one complaint ("request 3f2a… failed") through the logs.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from contextvars import ContextVar

# Set by the HTTP middleware for the duration of a request; copied into worker threads
# with the context, so lines logged by the pipeline carry it too.
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged.
# uvicorn's `color_message` is its message again with ANSI colours: noise in a JSON line.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName", "color_message"}


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "message", "request_id"?, ...extra, "exc"?}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class RequestIdFilter(logging.Filter):
    """For the plain-text format: puts the request id on the record so the format string can show it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        return True


def log_config(fmt: str = "json", level: str = "INFO") -> dict:
    """A logging.config dict for uvicorn (`uvicorn.run(log_config=...)`): every logger, ours and
    uvicorn's, goes through one stderr handler in the chosen format. uvicorn's own access log is
    turned off by the caller; the middleware writes a richer one (route, duration, request id)."""
    formatter = {"()": JsonFormatter} if fmt == "json" else {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "filters": {"request_id": {"()": RequestIdFilter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True, "level": level},
            "uvicorn.error": {"handlers": [], "propagate": True, "level": level},
            "uvicorn.access": {"handlers": [], "propagate": True, "level": "WARNING"},
        },
    }
