"""A whole replay, as a user (or issue 5's final check) runs one: ingest a recorded file, then
compute every minute; wall time and peak memory, current defaults against the former ones.

`trendlake synth` writes the stream once (default: 6 hours at today's 2,500 posts a minute,
about 900,000 posts). Each setting then lands it in a fresh lake (`ingest_file`, as `trendlake
ingest --source file` runs it) and computes it (`run_all`, the steps `trendlake process --all`
runs), in a fresh process each, so the peak RSS is that run's own. The reference is the former
defaults in the same run: 5,000 posts a commit, steps of 240 minutes and 2.5 million posts.
Both must give the same trend_scores and alerts, which the last line says.

Run: `python benchmarks/bench_replay.py [--hours 6] [--posts-per-minute 2500]`.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
from rich.console import Console
from rich.table import Table

from trendlake import synth
from trendlake.config import Settings
from trendlake.ingest.runner import ingest_file
from trendlake.lake import Lake
from trendlake.models import ALERTS, TREND_SCORES
from trendlake.pipeline import MinuteRange, run_all
from trendlake.timeutil import floor_minute

FORMER = {"batch_posts": 5000, "chunk_minutes": 240, "chunk_posts": 2_500_000}


def replay(stream: Path, lake_dir: Path, overrides: dict[str, int]) -> dict[str, float]:
    """Land and compute `stream` in a new lake; the figures of that run."""
    settings = Settings(lake_uri=str(lake_dir), **overrides)  # type: ignore[arg-type]
    lake = Lake(settings.lake_uri)
    started = time.perf_counter()
    landed = ingest_file(stream, lake, settings)
    ingested = time.perf_counter()
    bounds = lake.time_bounds("posts")
    assert bounds is not None
    run_all(lake, MinuteRange(floor_minute(bounds[0]), floor_minute(bounds[1])), settings)
    done = time.perf_counter()
    return {
        "commits": landed.sink.commits,
        "posts": landed.sink.posts,
        "ingest_s": ingested - started,
        "process_s": done - ingested,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def same_rows(first: Path, second: Path) -> bool:
    """Whether two lakes hold the same trend_scores and alerts, row for row."""
    for name in (TREND_SCORES, ALERTS):
        a, b = Lake(str(first)).read(name), Lake(str(second)).read(name)
        if not a.sort(pl.all()).equals(b.select(a.columns).sort(pl.all())):
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=6.0)
    parser.add_argument("--posts-per-minute", type=int, default=2500)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)  # stream lake overrides
    args = parser.parse_args()
    if args.child:
        stream, lake_dir, overrides = args.child
        print(json.dumps(replay(Path(stream), Path(lake_dir), json.loads(overrides))))
        return
    console = Console(width=150)
    with tempfile.TemporaryDirectory(prefix="trendlake-replay-") as tmp:
        stream = Path(tmp) / "stream.jsonl.zst"
        console.print(f"writing {args.hours} h at {args.posts_per_minute:,} posts a minute ...")
        synth.generate(stream, hours=args.hours, seed=11, posts_per_minute=args.posts_per_minute)
        runs: dict[str, dict[str, float]] = {}
        for name, overrides in (("former defaults", FORMER), ("current defaults", {})):
            console.print(f"replaying with the {name} ...")
            child = [str(stream), f"{tmp}/{name.split()[0]}", json.dumps(overrides)]
            out = subprocess.run(
                [sys.executable, __file__, "--child", *child],
                capture_output=True,
                text=True,
                check=True,
            )
            runs[name] = json.loads(out.stdout.strip().splitlines()[-1])
        identical = same_rows(Path(tmp) / "former", Path(tmp) / "current")
    reference = runs["former defaults"]
    table = Table(title=f"Replay of {reference['posts']:,.0f} posts", title_justify="left")
    for column in ("settings", "commits", "ingest", "process", "total", "peak RSS", "vs former"):
        table.add_column(column, justify="left" if column == "settings" else "right")
    former = reference["ingest_s"] + reference["process_s"]
    for name, run in runs.items():
        total = run["ingest_s"] + run["process_s"]
        memory = run["peak_mb"] / reference["peak_mb"]
        table.add_row(
            name,
            f"{run['commits']:,.0f}",
            f"{run['ingest_s']:.1f}s",
            f"{run['process_s']:.1f}s",
            f"{total:.1f}s",
            f"{run['peak_mb']:,.0f} MiB",
            f"{total / former:.2f}x time, {memory:.2f}x memory",
        )
    console.print(table)
    console.print(
        "former defaults: 5,000 posts a commit, steps of 240 minutes / 2.5 million posts; "
        f"trend_scores and alerts identical: {'yes' if identical else 'NO'}"
    )


if __name__ == "__main__":
    main()
