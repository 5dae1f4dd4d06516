"""The Delta lake: open or create tables, idempotent writes, range reads, the event-time watermark.

Posts are appended with the ingest cursor stored in the same commit (a Delta transaction
identifier), so a crash can never land rows without their cursor or the reverse. Derived tables
are written by replacing exactly the minutes a computation covers (overwrite with a predicate),
so reruns and backfills converge to the same rows.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal
from urllib.parse import quote

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake
from deltalake.exceptions import DeltaError, TableNotFoundError
from deltalake.schema import Field

from trendlake.config import Settings
from trendlake.errors import LakeError
from trendlake.models import POSTS, TABLES, TableSpec
from trendlake.timeutil import as_datetime

log = logging.getLogger(__name__)
_URL_PATH_SAFE = "/:@!$&'()*+,;=-._~"  # what a URL path keeps as it is (RFC 3986)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Lake:
    """A set of Delta tables under one root URI (a local folder or s3://bucket/prefix)."""

    def __init__(self, uri: str, storage_options: dict[str, str] | None = None) -> None:
        if "://" not in uri or uri.startswith("file://"):
            uri = str(Path(uri.removeprefix("file://")).expanduser().resolve())
        self.uri = uri.rstrip("/")
        self.storage_options = storage_options or {}
        # delta-rs lists a table's files with their paths percent-encoded, and Polars' own
        # reader takes `/my%20lake/...` literally (pola-rs/polars#20944): a lake whose path
        # has a space or a non-ASCII letter is read through pyarrow's dataset instead,
        # slower but right.
        self._read_through_pyarrow = quote(self.uri, safe=_URL_PATH_SAFE) != self.uri
        # Opened tables, per thread: bringing one up to date reads only the commits since
        # (2 ms locally) where opening replays the log from its checkpoint (13 ms), and a
        # minute's three steps open tables a dozen times.
        self._opened = threading.local()

    @classmethod
    def from_settings(cls, settings: Settings) -> Lake:
        return cls(settings.lake_uri, settings.storage_options)

    @property
    def is_local(self) -> bool:
        return "://" not in self.uri

    def table_uri(self, name: str) -> str:
        return f"{self.uri}/{name}"

    def table(self, name: str) -> DeltaTable | None:
        """The table at its latest version, or None when it does not exist yet."""
        opened: dict[str, DeltaTable] = self._opened.__dict__.setdefault("tables", {})
        cached = opened.get(name)
        if cached is not None:
            try:
                cached.update_incremental()
                return cached
            except (DeltaError, OSError):  # gone or rewritten underneath: open it afresh
                del opened[name]
        try:
            table = DeltaTable(self.table_uri(name), storage_options=self.storage_options)
        except TableNotFoundError:
            return None
        except OSError as exc:  # object store errors: bad endpoint, credentials, bucket
            raise LakeError(f"cannot open {self.table_uri(name)}: {exc}") from exc
        opened[name] = table
        return table

    def ensure(self, name: str) -> DeltaTable:
        """Open the table, creating it with its schema and partitioning when missing.

        An existing table whose columns differ from this version's schema is refused with a
        clear error instead of a failed write deep inside delta-rs; a cache is recreated empty.
        """
        existing = self.table(name)
        if existing is not None:
            return self._conformed_table(name, existing)
        return self._create(name, "ignore")

    def _conformed_table(self, name: str, table: DeltaTable) -> DeltaTable:
        _add_new_columns(name, table)
        if TABLES[name].cache and _column_names(table) != TABLES[name].schema.names:
            log.warning("%s holds another version's columns: recreating the cache", name)
            return self._create(name, "overwrite")
        _check_columns(name, self.table_uri(name), table)
        return table

    def _create(self, name: str, mode: Literal["ignore", "overwrite"]) -> DeltaTable:
        spec = TABLES[name]
        if self.is_local:
            Path(self.table_uri(name)).mkdir(parents=True, exist_ok=True)
        try:
            return DeltaTable.create(
                self.table_uri(name),
                spec.schema,
                mode=mode,
                partition_by=list(spec.partition_by),
                name=name,
                description=spec.description,
                storage_options=self.storage_options,
            )
        except OSError as exc:
            raise LakeError(f"cannot create {self.table_uri(name)}: {exc}") from exc

    def table_property(self, name: str, key: str) -> str | None:
        """A table property (Delta configuration), None when unset or the table is missing."""
        table = self.table(name)
        return None if table is None else table.metadata().configuration.get(key)

    def reset(self, name: str, properties: dict[str, str]) -> None:
        """Delete every row of a derived table, then set table properties on it.

        Two commits: a crash between them leaves an empty table without the properties,
        which a caller that checks them resets again.
        """
        table = self.ensure(name)
        try:
            table.delete()
            table.alter.set_table_properties(properties, raise_if_not_exists=False)
        except (DeltaError, OSError) as exc:
            raise LakeError(f"cannot reset {self.table_uri(name)}: {exc}") from exc

    def check_tables(self) -> None:
        """Raise LakeError when an existing table has another version's columns.

        A table that lacks only columns this version appended (nullable) gains them first; a
        cache with other columns is recreated empty.
        """
        for name in TABLES:
            table = self.table(name)
            if table is not None:
                self._conformed_table(name, table)

    def ensure_all(self) -> None:
        for name in TABLES:
            self.ensure(name)

    def append(
        self,
        name: str,
        data: pa.Table,
        *,
        cursor: tuple[str, int] | None = None,
        metadata: dict[str, str] | None = None,
        cursors: Sequence[tuple[str, int]] | None = None,
    ) -> int:
        """Append rows; `cursor` (app id, position) commits atomically with them.

        `cursors` adds more (app id, position) pairs to the same commit: the Kafka lander stores
        one per partition. Zero rows with cursors is a valid commit that only moves cursors.
        """
        spec = TABLES[name]
        table = self.ensure(name)
        pairs = ([cursor] if cursor else []) + list(cursors or ())
        transactions = [Transaction(app_id, version) for app_id, version in pairs] or None
        write_deltalake(
            table,
            _conformed(data, spec),
            mode="append",
            partition_by=list(spec.partition_by),
            commit_properties=CommitProperties(
                app_transactions=transactions, custom_metadata=metadata
            ),
        )
        return table.version()

    def replace_range(
        self,
        name: str,
        data: pa.Table,
        start: datetime,
        end: datetime,
        *,
        metadata: dict[str, str] | None = None,
    ) -> int:
        """Replace every row whose time column lies in [start, end) by `data`. Returns version."""
        spec = TABLES[name]
        column = spec.time_column
        if data.num_rows:
            times = data.column(column)
            low, high = pc.min(times).as_py(), pc.max(times).as_py()
            if low < start or high >= end:
                raise ValueError(f"{name}: rows outside [{start}, {end}) in a range replace")
        table = self.ensure(name)
        predicate = f"{column} >= '{_iso(start)}' AND {column} < '{_iso(end)}'"
        write_deltalake(
            table,
            _conformed(data, spec),
            mode="overwrite",
            predicate=predicate,
            partition_by=list(spec.partition_by),
            commit_properties=CommitProperties(custom_metadata=metadata),
        )
        return table.version()

    def delete_range(self, name: str, start: datetime, end: datetime) -> bool:
        """Delete the rows whose time column lies in [start, end); False when none can.

        The file statistics in the log decide first, so a range outside the table's time span
        costs no commit (live mode calls this every minute with nothing to delete).
        """
        bounds = self.time_bounds(name)
        if bounds is None or bounds[1] < start or bounds[0] >= end:
            return False
        self.replace_range(name, TABLES[name].schema.empty_table(), start, end)
        return True

    def read(
        self,
        name: str,
        start: datetime | None = None,
        end: datetime | None = None,
        columns: Sequence[str] | None = None,
        where: pl.Expr | None = None,
    ) -> pl.DataFrame:
        """Rows whose time column lies in [start, end) (and that `where` holds for, which the
        Parquet reader evaluates before it decodes the other columns), in the table's column
        order.

        Polars' own Parquet reader, fed the live files and their statistics from the Delta
        log (so files outside the range are never opened), decodes about twice as fast as a
        pyarrow dataset and hands over no Arrow table to convert; every minute's scores read
        eleven minutes of counts with their lists, which made the difference measurable.
        """
        spec = TABLES[name]
        wanted = list(columns) if columns else spec.schema.names
        table = self.table(name)
        if table is None:
            return pl.from_arrow(spec.schema.empty_table().select(wanted))  # type: ignore[return-value]
        scan = pl.scan_delta(table, use_pyarrow=self._read_through_pyarrow)
        condition = _range_condition(spec, start, end)
        if condition is not None:
            scan = scan.filter(condition)
        if where is not None:
            scan = scan.filter(where)
        return aligned_chunks(scan.select(wanted).collect())

    def transaction_version(self, name: str, app_id: str) -> int | None:
        table = self.table(name)
        return None if table is None else table.transaction_version(app_id)

    def time_bounds(
        self, name: str, table: DeltaTable | None = None
    ) -> tuple[datetime, datetime] | None:
        """Min and max of the table's time column, from the Delta log's file statistics.

        Pass `table` when it is already open: every open replays the log.
        """
        files = self._file_times(name, table)
        if files is None or files.is_empty():
            return None
        low, high = files["low"].min(), files["high"].max()
        return (low, high) if low is not None and high is not None else None  # type: ignore[return-value]

    def rows_per_minute(self, name: str, start: datetime, end: datetime) -> float | None:
        """Rows a minute the table holds over [start, end), from the Delta log's statistics.

        The records of the files whose time range meets [start, end), over the minutes of
        their range inside it: files straddling an end make it an overestimate, which is
        the safe side for sizing work. None without statistics or rows.
        """
        files = self._file_times(name)
        if files is None:
            return None
        meeting = files.filter((pl.col("low") < end) & (pl.col("high") >= start))
        if meeting.is_empty():
            return None
        first = max(as_datetime(meeting["low"].min()), start)
        last = min(as_datetime(meeting["high"].max()), end)
        minutes = max((last - first).total_seconds() / 60, 1.0)
        return float(meeting["records"].sum()) / minutes

    def _file_times(self, name: str, table: DeltaTable | None = None) -> pl.DataFrame | None:
        """(low, high, records): each live file's time range and row count, from the log."""
        table = table if table is not None else self.table(name)
        if table is None:
            return None
        column = TABLES[name].time_column
        actions = pl.from_arrow(pa.table(table.get_add_actions(flatten=True)))
        low, high = f"min.{column}", f"max.{column}"
        if not isinstance(actions, pl.DataFrame) or low not in actions.columns:
            return None
        return actions.select(low=low, high=high, records="num_records")

    def watermark(self) -> datetime | None:
        """The landed posts' event-time watermark: the latest event time in the posts table."""
        bounds = self.time_bounds(POSTS)
        return None if bounds is None else bounds[1]


def _add_new_columns(name: str, table: DeltaTable) -> None:
    """Add the nullable columns a later version appended to a table created before them.

    Old rows read them as null; anything else that differs is left to `_check_columns`.
    """
    schema = TABLES[name].schema
    found = [field.name for field in table.schema().fields]
    appended = schema.names[len(found) :]
    if not appended or schema.names[: len(found)] != found:
        return
    fields = [schema.field(column) for column in appended]
    if not all(field.nullable for field in fields):
        return
    log.info("%s: adding column(s) %s", name, ", ".join(appended))
    try:
        table.alter.add_columns([Field.from_arrow(field) for field in fields])
    except (DeltaError, OSError) as exc:
        raise LakeError(f"cannot add {', '.join(appended)} to {table.table_uri}: {exc}") from exc


def _column_names(table: DeltaTable) -> list[str]:
    return [field.name for field in table.schema().fields]


def _check_columns(name: str, uri: str, table: DeltaTable) -> None:
    expected = TABLES[name].schema.names
    found = _column_names(table)
    if found == expected:
        return
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    what = (
        "; ".join(
            part
            for part in (
                f"missing {', '.join(missing)}" if missing else "",
                f"unexpected {', '.join(unexpected)}" if unexpected else "",
            )
            if part
        )
        or "column order differs"
    )
    advice = (
        "move it aside and land the posts again"
        if name == POSTS
        else "it is derived: delete it and run `trendlake process --all` to recompute it"
    )
    raise LakeError(f"table {name} at {uri} has another version's columns ({what}); {advice}")


def _conformed(data: pa.Table, spec: TableSpec) -> pa.Table:
    """`data` in the table's column order and types, without the fields' descriptions.

    The descriptions live in the table's schema from its creation; delta-rs refuses a write
    whose field metadata differs from them, so carrying them would make every edit of a
    description break the lakes created before it.
    """
    schema = pa.schema([field.remove_metadata() for field in spec.schema])
    return data.select(schema.names).cast(schema)


def _partition_date(spec: TableSpec) -> str:
    return spec.partition_by[0]


def aligned_chunks(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with every column cut into the chunks most of its columns have.

    Polars' Delta scan hands back the column a range is filtered on in a chunk per piece
    (118 for eleven minutes of keyword counts at 250,000 posts a minute) and the others in a
    few. Every later operation on the frame then rechunks to line them up, whatever it
    selects: 0.10 s of CPU each time on those counts, half of `window_bounds`. Cutting the
    odd columns to the common boundaries costs a few milliseconds and copies no list.
    """
    layouts = [frame[name].chunk_lengths() for name in frame.columns]
    common = max(layouts, key=layouts.count, default=None)
    if common is None or all(layout == common for layout in layouts):
        return frame
    columns = []
    for name, layout in zip(frame.columns, layouts, strict=True):
        column = frame[name]
        if layout != common:
            whole, offset, pieces = column.rechunk(), 0, []
            for length in common:
                pieces.append(whole.slice(offset, length))
                offset += length
            column = pl.concat(pieces, rechunk=False)
        columns.append(column)
    return pl.DataFrame(columns)


def _range_condition(
    spec: TableSpec, start: datetime | None, end: datetime | None
) -> pl.Expr | None:
    """[start, end) on the time column; the date-partition terms prune partitions first."""
    column, part = pl.col(spec.time_column), pl.col(_partition_date(spec))
    terms: list[pl.Expr] = []
    if start is not None:
        terms += [part >= _as_date(start), column >= start]
    if end is not None:
        terms += [part <= _as_date(end), column < end]
    return pl.all_horizontal(terms) if terms else None


def _as_date(moment: datetime) -> date:
    return moment.astimezone(UTC).date()
