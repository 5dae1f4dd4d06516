"""Which alert rows a publisher still has to send, from the alerts table's Delta log.

Each publisher keeps, in its own store, a mark: the alerts table's id and the version it has
fully published (the id, because a rebuilt lake starts its versions again at 0). Rows
to send are the rows of the current version that the marked version did not have: derived
tables are rewritten by range, so the files added since the mark bound the minutes that can
differ, and an anti-join against the marked version's rows of those minutes leaves exactly
the new ones. A rerun that rewrites identical rows therefore sends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from deltalake import DeltaTable
from deltalake.exceptions import DeltaError

from trendlake.lake import Lake
from trendlake.models import ALERTS, TABLES

IDENTITY = ["alert_id", "minute"]


@dataclass(frozen=True)
class Mark:
    """The alerts table (its Delta id) and the version of it a publisher fully holds."""

    table_id: str
    version: int

    def encode(self) -> str:
        return f"{self.table_id}@{self.version}"

    @classmethod
    def decode(cls, text: str | bytes | None) -> Mark | None:
        if not text:
            return None
        table_id, _, version = (text.decode() if isinstance(text, bytes) else text).rpartition("@")
        return cls(table_id, int(version)) if table_id and version.isdigit() else None


@dataclass(frozen=True)
class Pending:
    """Rows to publish (oldest first) and the mark they bring a publisher up to."""

    rows: list[dict[str, Any]]
    mark: Mark
    complete: bool  # True: every row of the table (no usable mark); dedup against everything


def pending_rows(lake: Lake, marked: Mark | None) -> Pending | None:
    """Rows added since the `marked` version (all rows without one); None when up to date."""
    table = lake.table(ALERTS)
    if table is None:
        return None
    # deltalake annotates the id as an int; it is the table's UUID string.
    current = Mark(str(table.metadata().id), table.version())
    if marked is not None and marked.table_id != current.table_id:
        marked = None  # another (or a rebuilt) alerts table: its versions say nothing here
    if marked is not None and marked.version >= current.version:
        return None
    previous = _load(lake, marked.version) if marked is not None else None
    if previous is None:
        return Pending(_sorted(_rows(table, None)), current, complete=True)
    changed, since = _first_changed_minute(table, previous)
    if not changed:
        return Pending([], current, complete=False)
    fresh = _rows(table, since).join(
        _rows(previous, since).select(IDENTITY), on=IDENTITY, how="anti"
    )
    return Pending(_sorted(fresh), current, complete=False)


def _load(lake: Lake, version: int) -> DeltaTable | None:
    try:
        return DeltaTable(
            lake.table_uri(ALERTS), version=version, storage_options=lake.storage_options
        )
    except (DeltaError, OSError):  # vacuumed or unreadable version: fall back to a full pass
        return None


def _first_changed_minute(table: DeltaTable, previous: DeltaTable) -> tuple[bool, datetime | None]:
    """Whether files were added since the mark, and the earliest minute in them.

    The minute is None when a file has no statistics: then every row is compared.
    """
    before = pa.table(previous.get_add_actions(flatten=True)).column("path")
    actions = pa.table(table.get_add_actions(flatten=True))
    added = actions.filter(pc.invert(pc.is_in(actions.column("path"), value_set=before)))
    if added.num_rows == 0:
        return False, None
    minima = added.column("min.minute")
    if minima.null_count:
        return True, None
    earliest: datetime = pc.min(minima).as_py()
    return True, earliest


def _rows(table: DeltaTable, since: datetime | None) -> pl.DataFrame:
    spec = TABLES[ALERTS]
    condition = None
    if since is not None:
        condition = (ds.field("date") >= since.date()) & (
            ds.field("minute") >= pa.scalar(since, spec.schema.field("minute").type)
        )
    data = table.to_pyarrow_dataset().to_table(filter=condition)
    return pl.from_arrow(data)  # type: ignore[return-value]


def _sorted(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return frame.sort("minute", "kind", "keyword").to_dicts()
