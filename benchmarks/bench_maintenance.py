"""Opening and committing to a posts table after 30 simulated days of minute-level commits.

One table gets a commit per minute for `--days` days (one small batch each, the shape a
live ingester leaves) with no maintenance at all: no checkpoints, no compaction. A copy of
it then gets trendlake's maintenance (compaction of the closed days, a checkpoint, vacuum).
Both are measured side by side in this run: the time to open the table (median of 5), to
commit one more minute (median of 5), and to read the last hour.

Run: `python benchmarks/bench_maintenance.py [--days 30] [--per-day 1440]`.
Targets (issue 6): open <= 1 s, commit <= 0.5 s on local disk with maintenance.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake import DeltaTable, PostCommitHookProperties, write_deltalake
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from trendlake.lake import Lake
from trendlake.maintenance import maintain_table
from trendlake.models import POSTS, TABLES

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NO_HOOKS = PostCommitHookProperties(create_checkpoint=False, cleanup_expired_logs=False)


def minute_batch(moment: datetime, rows: int = 20) -> pa.Table:
    schema = TABLES[POSTS].schema
    data = {
        "uri": [
            f"at://did:plc:b/app.bsky.feed.post/{moment:%Y%m%d%H%M}{i:03d}" for i in range(rows)
        ],
        "cid": [None] * rows,
        "did": ["did:plc:b"] * rows,
        "rkey": [f"{moment:%Y%m%d%H%M}{i:03d}" for i in range(rows)],
        "text": ["a small post about nothing in particular"] * rows,
        "langs": [["en"]] * rows,
        "created_at": [None] * rows,
        "event_time": [moment + timedelta(seconds=i) for i in range(rows)],
        "event_date": [moment.date()] * rows,
        "seq": [None] * rows,
        "reply_root": [None] * rows,
        "reply_parent": [None] * rows,
        "embed_kind": [None] * rows,
        "hashtags": [[]] * rows,
        "mentions": [[]] * rows,
        "links": [[]] * rows,
        "source": ["jetstream"] * rows,
    }
    return pa.table(data, schema=schema)


def build(path: Path, days: int, per_day: int, console: Console) -> None:
    """The table a minute-level writer leaves after `days` days, with no maintenance.

    Committing 43,200 times through delta-rs without checkpoints gets slower with every
    commit (the log replay grows: 0.3 s a commit after 3,000), so the history is laid down
    directly: one small Parquet file per minute and one commit file per minute with its add
    action and statistics, exactly what the writer would have left. Version 0 and every
    measurement go through delta-rs.
    """
    Lake(str(path.parent)).ensure(POSTS)
    log = path / "_delta_log"
    step = timedelta(days=1) / per_day
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"{days * per_day} commits", total=days * per_day)
        for n in range(days * per_day):
            moment = T0 + n * step
            batch = minute_batch(moment)
            name = f"event_date={moment.date()}/part-{n:06d}-{uuid.uuid4()}.parquet"
            (path / name).parent.mkdir(exist_ok=True)
            pq.write_table(batch.drop_columns(["event_date"]), path / name)
            times = batch.column("event_time")
            stats = {
                "numRecords": batch.num_rows,
                "minValues": {"event_time": _iso(pc.min(times).as_py())},
                "maxValues": {"event_time": _iso(pc.max(times).as_py())},
                "nullCount": {"event_time": 0},
            }
            stamp = int((moment + timedelta(seconds=59)).timestamp() * 1000)
            add = {
                "path": name,
                "partitionValues": {"event_date": str(moment.date())},
                "size": (path / name).stat().st_size,
                "modificationTime": stamp,
                "dataChange": True,
                "stats": json.dumps(stats),
            }
            info = {
                "timestamp": stamp,
                "operation": "WRITE",
                "operationParameters": {"mode": "Append"},
            }
            commit = json.dumps({"add": add}) + "\n" + json.dumps({"commitInfo": info}) + "\n"
            (log / f"{n + 1:020d}.json").write_text(commit)
            progress.advance(task)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def measure(path: Path, end: datetime) -> dict[str, float]:
    opens, commits = [], []
    for i in range(5):
        started = time.perf_counter()
        table = DeltaTable(str(path))
        opens.append(time.perf_counter() - started)
        started = time.perf_counter()
        write_deltalake(
            table, minute_batch(end + timedelta(minutes=i)), mode="append",
            partition_by=["event_date"], post_commithook_properties=NO_HOOKS,
        )  # fmt: skip
        commits.append(time.perf_counter() - started)
    started = time.perf_counter()
    rows = Lake(str(path.parent)).read(POSTS, end - timedelta(hours=1), end, ["uri"]).height
    scan = time.perf_counter() - started
    table = DeltaTable(str(path))
    return {
        "open": statistics.median(opens),
        "commit": statistics.median(commits),
        "scan": scan,
        "rows": rows,
        "files": len(table.file_uris()),
        "version": table.version(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument(
        "--per-day", type=int, default=1440, help="commits per day (1440: a minute)"
    )
    args = parser.parse_args()
    console = Console(width=150)
    with tempfile.TemporaryDirectory(prefix="trendlake-maint-") as tmp:
        raw = Path(tmp) / "raw" / POSTS
        started = time.perf_counter()
        build(raw, args.days, args.per_day, console)
        console.print(
            f"built {args.days} days x {args.per_day} commits "
            f"in {time.perf_counter() - started:.0f}s"
        )
        kept = Path(tmp) / "maintained" / POSTS
        shutil.copytree(raw, kept)
        end = T0 + timedelta(days=args.days)
        report = maintain_table(Lake(str(kept.parent)), POSTS, before=end.date())
        assert report is not None
        console.print(
            f"maintenance: {report.files_before} -> {report.files_after} files "
            f"in {report.seconds:.1f}s"
        )
        without, with_ = measure(raw, end), measure(kept, end)
    table = Table(
        title=f"posts table after {args.days} days of {args.per_day} commits/day",
        title_justify="left",
    )
    for column in (
        "",
        "open (median)",
        "commit (median)",
        "read last hour",
        "rows read",
        "data files",
        "version",
    ):
        table.add_column(column, justify="right")
    for name, m in (("without maintenance", without), ("with maintenance", with_)):
        table.add_row(
            name,
            f"{m['open']:.3f}s",
            f"{m['commit']:.3f}s",
            f"{m['scan']:.3f}s",
            f"{m['rows']:.0f}",
            f"{m['files']:.0f}",
            f"{m['version']:.0f}",
        )
    table.add_row(
        "ratio", f"{without['open'] / with_['open']:.1f}x",
        f"{without['commit'] / with_['commit']:.1f}x",
        f"{without['scan'] / with_['scan']:.1f}x", "", "", "",
    )  # fmt: skip
    console.print(table)
    console.print("targets (issue 6): open <= 1 s, commit <= 0.5 s with maintenance")
    return 0


if __name__ == "__main__":
    sys.exit(main())
