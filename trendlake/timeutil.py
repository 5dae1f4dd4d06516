"""Event-time helpers: minutes are UTC datetimes at second 0; ISO 8601 in and out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from trendlake.errors import InputError

MINUTE = timedelta(minutes=1)
# The last microsecond a timestamp can name (9999-12-31T23:59:59.999999Z): past it, a time
# fits no Python datetime, and the Delta writer panics on its date partition.
LAST_MICROSECOND = 253_402_300_799_999_999


def floor_minute(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def parse_iso(text: str) -> datetime:
    """Parse ISO 8601; a time without offset is UTC. Raises InputError on bad input."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"not an ISO 8601 time: {text!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    """ISO 8601 UTC with a Z, to the second (minutes and windows never carry fractions)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_datetime(value: object) -> datetime:
    """A cell of a Polars datetime column: `Series.min()` and the like are typed as any value."""
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, not {type(value).__name__}")
    return value


def minutes_between(start: datetime, end: datetime) -> int:
    return int((end - start) / MINUTE)
