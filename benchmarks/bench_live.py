"""CPU per live minute over three hours of real history, beside the same minutes backfilled.

`bench_process` times one minute over a history made of copies; this lands `--minutes`
(default 202) minutes of a `trendlake synth` stream at `--rate` posts a minute (default
2,500, today's volume), processes all but the last `--live` (default 12) as a backfill
would, then processes those one closed minute at a time as live mode does (the three steps
per minute, in this process: a live run pays its process start on top), so the baseline
snapshots hold every keyword three hours of the stream brought, and one or two of the live
minutes build a snapshot. Reference in the same run: the same live minutes recomputed in
one backfill step, CPU per minute.

Run: `python benchmarks/bench_live.py [--rate 2500] [--minutes 202] [--live 12]`.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from trendlake import synth
from trendlake.config import Settings
from trendlake.ingest.runner import ingest_file
from trendlake.lake import Lake
from trendlake.models import KEYWORD_BASELINES
from trendlake.pipeline import MinuteRange, run_all
from trendlake.scoring import snapshots_needed

START = datetime(2026, 3, 2, tzinfo=UTC)  # synth averages its rate from midnight to 3:00
M = timedelta(minutes=1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=2500, help="posts per minute")
    parser.add_argument("--minutes", type=int, default=202, help="minutes of stream")
    parser.add_argument("--live", type=int, default=12, help="last minutes processed live")
    args = parser.parse_args()
    if not 0 < args.live < args.minutes:
        print("--live must be between 0 and --minutes", file=sys.stderr)
        return 2
    console = Console(width=120)
    with tempfile.TemporaryDirectory(prefix="trendlake-live-") as tmp:
        stream = Path(tmp) / "stream.jsonl"
        settings = Settings(lake_uri=str(Path(tmp) / "lake"))
        lake = Lake(settings.lake_uri)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("synth", total=args.minutes)
            synth.generate(
                stream,
                hours=args.minutes / 60,
                seed=21,
                posts_per_minute=args.rate,
                start=START,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
            progress.update(task, description="ingest + backfill")
            posts = ingest_file(stream, lake, settings).sink.posts
            live_from = START + (args.minutes - args.live) * M
            run_all(lake, MinuteRange(START, live_from), settings)
        live = [MinuteRange(live_from + i * M, live_from + (i + 1) * M) for i in range(args.live)]
        built = set(lake.read(KEYWORD_BASELINES)["as_of"].unique().to_list())
        cpus = []
        for span in live:
            cpu = time.process_time()
            run_all(lake, span, settings)
            cpus.append(time.process_time() - cpu)
        snapshot_rows = lake.read(KEYWORD_BASELINES).group_by("as_of").len()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        cpu = time.process_time()
        run_all(lake, MinuteRange(live_from, live[-1].end), settings)  # the same rows again
        backfill = (time.process_time() - cpu) / args.live
    console.print(
        f"{posts:,} posts in {args.minutes} minutes ({posts / args.minutes:,.0f} a minute: "
        f"synth follows the hour of day); live minutes from "
        f"{live_from:%H:%M}"
    )
    table = Table()
    for column in ("minute", "CPU", "builds snapshot"):
        table.add_column(column, justify="right")
    for span, cpu in zip(live, cpus, strict=True):
        builds = any(h not in built for h in snapshots_needed([span.start], 10))
        table.add_row(f"{span.start:%H:%M}", f"{cpu:.2f}s", "yes" if builds else "")
        built.update(snapshots_needed([span.start], 10))
    console.print(table)
    keywords = int(snapshot_rows["len"].max() or 0)  # type: ignore[arg-type]
    mean = statistics.mean(cpus)
    console.print(
        f"live: mean {mean:.2f} s, max {max(cpus):.2f} s; backfill of the same minutes: "
        f"{backfill:.2f} s a minute (live / backfill {mean / backfill:.2f}x); snapshots hold up "
        f"to {keywords:,} keywords; peak RSS of the whole run (the backfill's) {peak:.0f} MB"
    )
    console.print("target (issue 5): <= 0.5 s a minute at 2,500 posts a minute")
    return 0


if __name__ == "__main__":
    sys.exit(main())
