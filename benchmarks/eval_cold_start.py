"""Cold starts: how soon a burst is alerted when the stream began only minutes before it.

A replay (or a restarted lake) has no history: a window may alert only once
`MIN_HISTORY_MINUTES` of history stand before it. Each `trendlake synth` stream here (2.5
hours, 300 posts a minute unless --posts-per-minute says otherwise) is cut so that its
first burst starts 4, 7, 10, 13 or 16 minutes into it and ends 20 minutes after that onset;
the cut stream runs through the real pipeline with the current settings and, side by side,
with the reference that needed 10 minutes of history. Reported per cold start: the first
burst's latency (event time, alert window end - onset), and in total the bursts missed,
alerted within 3 minutes, and alerts naming nothing injected (false alerts).
Run: `make eval` (or `python benchmarks/eval_cold_start.py --seeds 12 13`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from trendlake import synth
from trendlake.config import Settings
from trendlake.evaluation import RECALL_WITHIN, announced, evaluate, load_truth
from trendlake.ingest.runner import ingest_file
from trendlake.lake import Lake
from trendlake.models import ALERTS
from trendlake.pipeline import MinuteRange, run_all
from trendlake.timeutil import MINUTE, iso, parse_iso

OFFSETS = (4, 7, 10, 13, 16)  # minutes from the stream's start to its first burst
FOLLOW = timedelta(minutes=20)  # what the cut stream keeps after the onset
REFERENCE = {"min_history_minutes": 10}  # the history an alert needed before


def cut_stream(
    lines: list[tuple[int, bytes]], truth: Mapping[str, Any], offset: int, out: Path
) -> dict[str, Any]:
    """Write the events (time_us, line) of [onset - offset, onset + FOLLOW) of the first
    burst to `out`; return the truth of the cut stream."""
    first = min(truth["bursts"], key=lambda b: b["onset"])
    onset = parse_iso(first["onset"])
    start, end = onset - offset * MINUTE, onset + FOLLOW
    low, high = int(start.timestamp() * 1e6), int(end.timestamp() * 1e6)
    out.write_bytes(b"".join(line for time_us, line in lines if low <= time_us < high))
    return {**truth, "start": iso(start), "end": iso(end), "first": first}


def first_burst_latency(
    stream: Path, truth: dict[str, Any], lake_dir: Path, settings: Settings
) -> tuple[float | None, list[str]]:
    """The first burst's latency in minutes (None: not alerted), and the false alerts."""
    lake = Lake(str(lake_dir))
    ingest_file(stream, lake, settings)
    start, end = parse_iso(truth["start"]), parse_iso(truth["end"])
    run_all(lake, MinuteRange(start, end), settings)
    result = evaluate(truth, announced(lake.read(ALERTS).iter_rows(named=True)))
    latency = dict(zip(result.detected, result.latencies_s, strict=True))
    seconds = latency.get(truth["first"]["keyword"])
    return (None if seconds is None else seconds / 60), result.false_alerts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[12, 13, 14, 15, 16, 17])
    parser.add_argument("--posts-per-minute", type=int, default=300)
    parser.add_argument("--set", action="append", default=[], help="a setting: name=value")
    args = parser.parse_args()
    overrides = dict(item.split("=", 1) for item in args.set)
    console = Console(width=120)
    runs = {"trendlake": overrides, "reference (10 min of history)": REFERENCE}
    found: dict[str, list[float | None]] = {name: [] for name in runs}
    false: dict[str, list[str]] = {name: [] for name in runs}
    table = Table(title="First burst latency after a cold start (minutes; - : not alerted)")
    table.add_column("burst starts")
    table.add_column("seed")
    for name in runs:
        table.add_column(name, justify="right")
    with tempfile.TemporaryDirectory(prefix="trendlake-cold-") as tmp:
        workdir = Path(tmp)
        for seed in args.seeds:
            stream = workdir / f"s{seed}.jsonl"
            summary = synth.generate(
                stream, hours=2.5, seed=seed, posts_per_minute=args.posts_per_minute
            )
            # Parsed once: every cut of this stream reads the same event times.
            lines = [
                (json.loads(line)["time_us"], line)
                for line in stream.read_bytes().splitlines(keepends=True)
            ]
            truth = load_truth(summary.truth)
            for offset in OFFSETS:
                cut = workdir / f"s{seed}-{offset}.jsonl"
                cut_truth = cut_stream(lines, truth, offset, cut)
                cells: list[str] = []
                for name, changes in runs.items():
                    lake_dir = workdir / f"lake-{seed}-{offset}-{len(cells)}"
                    settings = Settings(lake_uri=str(lake_dir), **changes)
                    latency, wrong = first_burst_latency(cut, cut_truth, lake_dir, settings)
                    found[name].append(latency)
                    false[name].extend(wrong)
                    cells.append("-" if latency is None else f"{latency:.0f}")
                table.add_row(f"{offset} min in", str(seed), *cells)
                console.print(f"  seed {seed}, burst {offset} min in: {', '.join(cells)}")
    console.print(table)
    limit = RECALL_WITHIN / MINUTE
    for name, latencies in found.items():
        alerted = [x for x in latencies if x is not None]
        in_time = sum(x <= limit for x in alerted)
        median = f"{statistics.median(alerted):.1f} min" if alerted else "-"
        console.print(
            f"{name}: {len(alerted)}/{len(latencies)} first bursts alerted, {in_time} within "
            f"3 minutes, median latency {median}, false alerts {len(false[name])} "
            f"{sorted(false[name])}"
        )
    ours, ref = (sum(x is not None and x <= limit for x in v) for v in found.values())
    console.print(f"within 3 minutes, trendlake / reference: {ours} / {ref}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
