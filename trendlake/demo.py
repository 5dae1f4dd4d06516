"""`trendlake demo`: synthesize a stream, land it, compute trends through Dagster, show them."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from trendlake import queries, synth
from trendlake.config import Settings
from trendlake.errors import InputError
from trendlake.evaluation import announced, evaluate, load_truth
from trendlake.ingest.runner import file_app_id, ingest_file
from trendlake.lake import Lake
from trendlake.models import POSTS
from trendlake.orchestration import process_closed_minutes
from trendlake.timeutil import iso, parse_iso

NEXT_STEPS = [
    ".venv/bin/trendlake trends --format json    # the latest minute's ranking (JSON lines)",
    ".venv/bin/trendlake alerts --format json    # every alert",
    '.venv/bin/trendlake sql "SELECT keyword, sum(posts) AS n FROM keyword_counts '
    'GROUP BY 1 ORDER BY n DESC LIMIT 10"',
    "make dagster                                # Dagster UI, http://127.0.0.1:3000",
]


def run_demo(
    settings: Settings,
    *,
    hours: float,
    seed: int,
    posts_per_minute: int,
    workdir: Path,
    console: Console,
    errors: Console,
) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    stream = workdir / f"stream-seed{seed}.jsonl.zst"
    lake = Lake.from_settings(settings)
    errors.rule("1/3  synthesize a Bluesky-like stream (Jetstream format)")
    with errors.status("generating"):
        summary = synth.generate(stream, hours=hours, seed=seed, posts_per_minute=posts_per_minute)
    errors.print(
        f"{summary.posts} posts over {summary.minutes} minutes, {summary.bursts} bursts, "
        f"{summary.decoys} decoys -> {stream}"
    )
    errors.rule("2/3  ingest it into the Delta lake")
    _refuse_another_stream(lake, stream, load_truth(summary.truth))
    with errors.status("ingesting"):
        stats = ingest_file(stream, lake, settings)
    errors.print(stats.summary())
    errors.print(f"lake: {lake.uri}")
    errors.rule("3/3  compute counts, scores and alerts (Dagster, in process)")
    errors.print(str(process_closed_minutes(lake, settings, console=errors)))

    alerts = queries.alerts_since(lake, None)
    table = Table(title=f"{len(alerts)} alerts", title_justify="left")
    for column in (
        "window_end",
        "status",
        "keyword",
        "kind",
        "unique_authors",
        "baseline",
        "zscore",
    ):
        table.add_column(column)
    for alert in alerts:
        table.add_row(
            iso(alert["window_end"]), alert["status"], alert["keyword"], alert["kind"],
            str(alert["unique_authors"]), f"{alert['baseline']:.1f}", f"{alert['zscore']:.1f}",
        )  # fmt: skip
    console.print(table)
    if alerts:
        peak = max(alerts, key=lambda a: a["score"])["minute"]
        minute, rows = queries.trends_at(lake, peak, top=10)
        trends = Table(
            title=f"Trending at {iso(minute)} (10-minute window)" if minute else "Trending",
            title_justify="left",
        )
        for column in (
            "rank",
            "keyword",
            "kind",
            "unique_authors",
            "baseline",
            "zscore",
            "velocity",
        ):
            trends.add_column(column)
        for row in rows:
            trends.add_row(
                str(row["rank"]), row["keyword"], row["kind"], str(row["unique_authors"]),
                f"{row['baseline']:.1f}", f"{row['zscore']:.1f}", f"{row['velocity']:+d}",
            )  # fmt: skip
        console.print(trends)
    result = evaluate(load_truth(summary.truth), announced(alerts))
    console.print(f"Ground truth ({summary.truth.name}): {result.summary()}")
    console.rule("Where to go next")
    for step in NEXT_STEPS:
        console.print(step, highlight=False, soft_wrap=True)


def _refuse_another_stream(lake: Lake, stream: Path, truth: dict[str, object]) -> None:
    """Stop when the lake holds posts of the stream's hours that this stream did not land.

    That is a demo stream an earlier version generated differently: landing this one beside
    it would mix the two, and the demo would show neither's trends.
    """
    bounds = lake.time_bounds(POSTS)
    if bounds is None or lake.transaction_version(POSTS, file_app_id(stream)) is not None:
        return
    start, end = parse_iso(str(truth["start"])), parse_iso(str(truth["end"]))
    if bounds[0] < end and bounds[1] >= start:
        raise InputError(
            f"the lake {lake.uri} already holds posts of another stream over the same hours "
            "(an earlier version's demo?): delete it, or set TRENDLAKE_LAKE_URI to a new "
            "folder, and run the demo again"
        )
