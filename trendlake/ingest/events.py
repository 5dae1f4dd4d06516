"""What every source hands to a sink: one decoded event with its cursor position."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from trendlake.models import DeleteRecord, PostRecord

EventKind = Literal["post", "delete", "other"]


@dataclass(frozen=True, slots=True)
class Decoded:
    """One decoded event.

    `position` is the source's own cursor value (Jetstream: time_us; firehose: seq; a
    recorded file: the line number): sinks store the position of the last landed event and
    skip events at or before it on resume, so it must grow monotonically within one source.
    """

    kind: EventKind
    position: int
    row: PostRecord | DeleteRecord | None = None
