"""Following the alerts table: its rows since a time, then the rows each new version adds.

The terminal is one more projection of the table (`trendlake alerts --follow`), so it uses the
publishers' version diff: a rerun that rewrites identical rows prints nothing new.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from trendlake.lake import Lake
from trendlake.publish.pending import Mark, pending_rows
from trendlake.queries import ALERT_FIELDS


def follow(
    lake: Lake,
    since: datetime | None,
    poll_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[list[dict[str, Any]]]:
    """Batches of alert rows, oldest first; runs until the caller stops iterating."""
    mark: Mark | None = None
    while True:
        pending = pending_rows(lake, mark)
        if pending is not None:
            mark = pending.mark
            rows = [
                {name: row[name] for name in ALERT_FIELDS}
                for row in pending.rows
                if since is None or row["window_end"] > since
            ]
            if rows:
                yield rows
        sleep(poll_seconds)
