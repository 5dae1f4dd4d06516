"""Commands that compute: process, demo."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from trendlake.cli.common import Listing, app, err, load_settings, out, time_option
from trendlake.lake import Lake


@app.command()
def process(
    all_minutes: Annotated[
        bool, typer.Option("--all", help="every closed minute (the default)")
    ] = False,
    until: Annotated[str | None, typer.Option(help="closed minutes before this time only")] = None,
    rerun_from: Annotated[
        str | None,
        typer.Option("--from", help="recompute an explicit range from this minute (needs --until)"),
    ] = None,
    format: Annotated[
        Listing, typer.Option("--format", help="json: the summary as one JSON object")
    ] = Listing.table,
) -> None:
    """Compute counts, scores and alerts for closed minutes, through Dagster, in this process."""
    from trendlake.orchestration import process_closed_minutes

    del all_minutes  # the default; kept so `process --all` reads as intended
    settings = load_settings()
    summary = process_closed_minutes(
        Lake.from_settings(settings),
        settings,
        until=time_option(until),
        rerun_from=time_option(rerun_from),
        console=err,
    )
    if format is Listing.json:
        sys.stdout.write(json.dumps(summary.as_json()) + "\n")
    else:
        err.print(str(summary))


@app.command()
def demo(
    hours: Annotated[float, typer.Option(help="hours of synthetic stream")] = 3.0,
    seed: Annotated[int, typer.Option(help="random seed")] = 7,
    posts_per_minute: Annotated[int, typer.Option(help="average posts per minute")] = 300,
    workdir: Annotated[Path, typer.Option(help="where the stream file goes")] = Path("demo-data"),
) -> None:
    """Offline, end to end: synthesize a stream, land it, compute trends, show them."""
    from trendlake.demo import run_demo

    run_demo(
        load_settings(),
        hours=hours,
        seed=seed,
        posts_per_minute=posts_per_minute,
        workdir=workdir,
        console=out,
        errors=err,
    )
