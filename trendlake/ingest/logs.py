"""Structured logs: one JSON object per line on stderr, with correlation ids.

`conn_id` names one websocket connection and `batch_id` one sink batch; both live in
contextvars, so every log line written while they are set carries them without threading
them through each call.
"""

from __future__ import annotations

import contextvars
import logging
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

conn_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("conn_id", default=None)
batch_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("batch_id", default=None)

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def new_id() -> str:
    return uuid.uuid4().hex[:12]


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in ("conn_id", "batch_id"):
            value = getattr(record, key, None) or globals()[key].get()
            if value:
                entry[key] = value
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def configure_json_logs(level: int = logging.INFO) -> None:
    """Make every log line on stderr JSON (the CLI's live commands call this).

    The root handler is replaced, so library warnings (websockets, deltalake) are JSON too and
    a log shipper never meets a plain line; trendlake's own loggers speak at `level`.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    logging.getLogger("trendlake").setLevel(level)
