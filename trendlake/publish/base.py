"""What every alert publisher offers the runner, and the error they report."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from trendlake.errors import TrendlakeError
from trendlake.publish.pending import Mark


class PublishError(TrendlakeError):
    """A publisher could not complete; its mark did not move, so the next run retries."""


class Sink(Protocol):
    """A projection of the alerts table that remembers, in its own store, what it holds."""

    name: str

    def marked(self) -> Mark | None:
        """The alerts table version fully published, or None (never, or the store was lost)."""
        ...

    def publish(self, rows: Iterable[dict[str, Any]], *, complete: bool) -> int:
        """Send the rows it does not hold yet (oldest first); return how many were sent.

        `complete` says the rows are the whole table, not just those since the mark.
        """
        ...

    def mark(self, mark: Mark) -> None:
        """Record that every row of the marked table version is published."""
        ...

    def close(self) -> None: ...
