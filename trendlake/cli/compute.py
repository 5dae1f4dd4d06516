"""Commands that compute: process, demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trendlake.cli.common import app, err, load_settings, out, time_option
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
    err.print(summary)


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
