"""Delta table maintenance: compaction, checkpoints, vacuum and log retention, with safe defaults.

Minute-level writes leave one small file per table per minute and one log entry per commit.
Left alone, a month of them makes every open replay a long log and every scan open tens of
thousands of files. Maintenance keeps both short:

- compaction rewrites the small files of closed partitions (dates before the watermark's)
  into large ones; the current date is left to the live writers, so a compaction never
  races a minute's range replace;
- a checkpoint summarises the log so an open reads one Parquet file plus a few JSON commits;
- vacuum deletes files no version within the retention (default 7 days) still needs, so
  readers of recent versions and time travel within a week keep working;
- log cleanup drops commit files older than the log retention (the table property
  `delta.logRetentionDuration`, set by `ensure_properties`);
- baseline snapshots (keyword_baselines, a cache) older than six hours before the watermark
  are deleted, and that table's deleted files are vacuumed after a day instead of a week:
  each snapshot holds every keyword of three hours (at 300 posts a minute, 80,000 rows and
  0.8 MB; 144 of them a day), live minutes need only the last two, and a rerun of an older
  range rebuilds the ones it needs from keyword_counts. The block sums (keyword_blocks, a
  cache too) go with them: live minutes read back only the block leaving a 3-hour baseline
  (a baseline longer than six hours sums its leaving blocks again from keyword_counts).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from trendlake.lake import Lake
from trendlake.models import KEYWORD_BASELINES, KEYWORD_BLOCKS, TABLES

RETENTION_HOURS = 7 * 24
TABLE_PROPERTIES = {
    "delta.logRetentionDuration": "interval 7 days",
    "delta.deletedFileRetentionDuration": "interval 7 days",
    "delta.checkpointInterval": "100",
}
TARGET_FILE_BYTES = 128 * 1024 * 1024
SNAPSHOT_KEEP = timedelta(hours=6)
CACHE_TABLES = frozenset(name for name, spec in TABLES.items() if spec.cache)  # no time travel
CACHE_RETENTION_HOURS = 24


def table_properties(name: str) -> dict[str, str]:
    """The retention and checkpoint properties a table should carry."""
    if name in CACHE_TABLES:
        return {**TABLE_PROPERTIES, "delta.deletedFileRetentionDuration": "interval 1 days"}
    return TABLE_PROPERTIES


@dataclass(frozen=True)
class TableReport:
    table: str
    files_before: int
    files_after: int
    compacted_files: int
    vacuumed_files: int
    version: int
    seconds: float


def ensure_properties(lake: Lake, name: str) -> None:
    """Set the retention and checkpoint properties where they differ (one commit at most)."""
    table = lake.table(name)
    if table is None:
        return
    current = table.metadata().configuration
    missing = {k: v for k, v in table_properties(name).items() if current.get(k) != v}
    if missing:
        table.alter.set_table_properties(missing)


def maintain_table(
    lake: Lake, name: str, *, before: date | None, retention_hours: int = RETENTION_HOURS
) -> TableReport | None:
    """Compact partitions dated before `before` (all if None), checkpoint, vacuum, clean log."""
    started = time.perf_counter()
    table = lake.table(name)
    if table is None:
        return None
    ensure_properties(lake, name)
    if name in CACHE_TABLES:
        retention_hours = min(retention_hours, CACHE_RETENTION_HOURS)
    table = lake.table(name)
    assert table is not None
    files_before = len(table.file_uris())
    partition = TABLES[name].partition_by[0]
    filters = [(partition, "<", before.isoformat())] if before is not None else None
    compacted = table.optimize.compact(partition_filters=filters, target_size=TARGET_FILE_BYTES)
    table.create_checkpoint()
    vacuumed = table.vacuum(
        retention_hours=retention_hours, dry_run=False, enforce_retention_duration=False
    )
    table.cleanup_metadata()
    return TableReport(
        table=name,
        files_before=files_before,
        files_after=len(table.file_uris()),
        compacted_files=int(compacted.get("numFilesRemoved", 0)),
        vacuumed_files=len(vacuumed),
        version=table.version(),
        seconds=time.perf_counter() - started,
    )


def maintain_lake(lake: Lake, *, retention_hours: int = RETENTION_HOURS) -> list[TableReport]:
    """Maintain every table; closed partitions are those before the posts watermark's date."""
    watermark = lake.watermark()
    before = watermark.date() if watermark is not None else None
    if watermark is not None:
        prune_snapshots(lake, watermark - SNAPSHOT_KEEP)
    reports = [
        maintain_table(lake, name, before=before, retention_hours=retention_hours)
        for name in TABLES
    ]
    return [r for r in reports if r is not None]


def prune_snapshots(lake: Lake, older_than: datetime) -> bool:
    """Delete baseline snapshots as of, and block sums of blocks starting, before
    `older_than`; False when there were none."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    snapshots = lake.delete_range(KEYWORD_BASELINES, epoch, older_than)
    blocks = lake.delete_range(KEYWORD_BLOCKS, epoch, older_than)
    return snapshots or blocks
