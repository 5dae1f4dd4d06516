"""The published form of an alert row: a versioned JSON object, and its event id.

Every publisher sends exactly this object (validated against `alert.v1.schema.json` in the
tests), so Redis and Kafka consumers parse one format.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

from trendlake.timeutil import iso

SCHEMA_VERSION = 1
SCHEMA_FILE = "alert.v1.schema.json"
FIELDS = (
    "alert_id", "status", "minute", "keyword", "kind", "window_start", "window_end", "count",
    "unique_authors", "baseline", "zscore", "score", "confidence", "langs",
)  # fmt: skip


def event_id(row: dict[str, Any]) -> str:
    """One lifecycle event: a trend has at most one alert row per minute."""
    minute: datetime = row["minute"]
    return f"{row['alert_id']}:{minute.astimezone(UTC):%Y%m%d%H%M}"


def to_payload(row: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "event_id": event_id(row)}
    for name in FIELDS:
        value = row[name]
        if isinstance(value, datetime):
            value = iso(value)
        elif name in {"count", "unique_authors"}:
            value = int(value)
        elif name in {"baseline", "zscore", "score", "confidence"}:
            value = float(value)
        elif name == "langs":
            value = list(value)
        payload[name] = value
    return payload


def encode(payload: dict[str, Any]) -> bytes:
    # sort_keys: the same row always serialises to the same bytes (stable across reruns)
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema every published alert validates against (shipped with the package)."""
    text = resources.files("trendlake").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded
