"""`trendlake ...`: the command line. Every failure a user causes is one line and an exit code."""

from __future__ import annotations

import csv
import io
import json
import logging
import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from trendlake import queries
from trendlake.config import Settings
from trendlake.errors import InputError, TrendlakeError
from trendlake.lake import Lake
from trendlake.timeutil import iso, parse_iso

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Trending keywords on the Bluesky firehose."
)
out = Console(soft_wrap=True)
err = Console(stderr=True)
log = logging.getLogger("trendlake")


class Listing(StrEnum):
    table = "table"
    json = "json"


class SqlFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class Source(StrEnum):
    firehose = "firehose"
    jetstream = "jetstream"
    file = "file"


class FileFormat(StrEnum):
    jetstream = "jetstream"
    frames = "frames"


class SinkKind(StrEnum):
    lake = "lake"
    kafka = "kafka"


def _settings() -> Settings:
    try:
        return Settings()
    except ValueError as exc:  # pydantic's validation error names the variable
        first = str(exc).splitlines()
        raise InputError(f"bad configuration: {' '.join(first[:3])}") from None


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def _time_option(value: str | None) -> datetime | None:
    return None if value is None else parse_iso(value)


@app.command()
def synth(
    out_file: Annotated[
        Path, typer.Option("--out", help="JSONL file to write (.gz/.zst compress)")
    ],
    hours: Annotated[float, typer.Option(help="hours of stream")] = 3.0,
    seed: Annotated[int, typer.Option(help="random seed (same seed, same bytes)")] = 7,
    posts_per_minute: Annotated[int, typer.Option(help="average posts per minute")] = 300,
    start: Annotated[
        str | None, typer.Option(help="first event time, ISO 8601 (default 2026-03-02T00:00Z)")
    ] = None,
) -> None:
    """Write a realistic synthetic Jetstream stream and its ground truth (FILE.truth.json)."""
    from trendlake import synth as synthesis

    try:
        with _progress() as progress:
            task = progress.add_task("generating minutes", total=None)
            summary = synthesis.generate(
                out_file,
                hours=hours,
                seed=seed,
                posts_per_minute=posts_per_minute,
                start=_time_option(start),
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    except ValueError as exc:
        raise InputError(str(exc)) from None
    err.print(
        f"wrote {summary.events} events ({summary.posts} posts, {summary.bursts} bursts, "
        f"{summary.decoys} decoys) to {summary.out}; truth in {summary.truth}"
    )


@app.command()
def ingest(
    source: Annotated[Source, typer.Option(help="where events come from")] = Source.firehose,
    file: Annotated[Path | None, typer.Option(help="recorded file for --source file")] = None,
    format: Annotated[
        FileFormat, typer.Option("--format", help="recorded file format")
    ] = FileFormat.jetstream,
    sink: Annotated[SinkKind, typer.Option(help="where posts go")] = SinkKind.lake,
    url: Annotated[str | None, typer.Option(help="relay or Jetstream URL")] = None,
    max_events: Annotated[int | None, typer.Option(min=1, help="stop after N events")] = None,
    idle_exit: Annotated[
        float | None, typer.Option(help="stop after N idle seconds (live sources)")
    ] = None,
    strict: Annotated[
        bool, typer.Option(help="stop at the first bad line instead of skipping it")
    ] = False,
) -> None:
    """Decode events and land posts (and deletes) in the lake, exactly once."""
    from trendlake.ingest.runner import ingest_file

    del url, idle_exit  # live sources only
    if source is not Source.file:
        raise InputError(
            f"--source {source.value} is not available in this version; use --source file"
        )
    if sink is not SinkKind.lake:
        raise InputError(f"--sink {sink.value} is not available in this version; use --sink lake")
    if file is None:
        raise InputError("--source file needs --file PATH")
    if format is not FileFormat.jetstream:
        raise InputError("--format frames is not available in this version; use --format jetstream")
    settings = _settings()
    with _progress() as progress:
        task = progress.add_task(f"ingesting {file.name}", total=None)
        stats = ingest_file(
            file,
            Lake.from_settings(settings),
            settings,
            strict=strict,
            max_events=max_events,
            on_progress=lambda n: progress.update(task, completed=n),
        )
    err.print(stats.summary())


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
    settings = _settings()
    summary = process_closed_minutes(
        Lake.from_settings(settings),
        settings,
        until=_time_option(until),
        rerun_from=_time_option(rerun_from),
        console=err,
    )
    err.print(summary)


@app.command()
def trends(
    at: Annotated[
        str | None, typer.Option(help="minute to show (default: the latest computed)")
    ] = None,
    top: Annotated[int, typer.Option(min=1, help="how many")] = 20,
    kind: Annotated[str | None, typer.Option(help="word, phrase, hashtag or domain")] = None,
    format: Annotated[Listing, typer.Option("--format")] = Listing.table,
) -> None:
    """The top trending keywords of one minute, ranked by score."""
    lake = Lake.from_settings(_settings())
    minute, rows = queries.trends_at(lake, _time_option(at), top=top, kind=kind)
    columns = [
        "rank",
        "keyword",
        "kind",
        "unique_authors",
        "count",
        "baseline",
        "zscore",
        "velocity",
        "score",
    ]
    title = (
        f"Trending at {iso(minute)} "
        f"(window {iso(rows[0]['window_start'])} .. {iso(rows[0]['window_end'])})"
        if rows and minute
        else "No trends computed yet"
    )
    _emit(rows, columns, format, title)


@app.command()
def alerts(
    since: Annotated[
        str | None, typer.Option(help="alerts whose window ends after this time")
    ] = None,
    format: Annotated[Listing, typer.Option("--format")] = Listing.table,
    follow: Annotated[bool, typer.Option(help="keep printing new alerts")] = False,
) -> None:
    """Trend alerts (every alert when --since is not given)."""
    if follow:
        raise InputError("--follow is not available in this version")
    rows = queries.alerts_since(Lake.from_settings(_settings()), _time_option(since))
    columns = [
        "window_end",
        "status",
        "keyword",
        "kind",
        "unique_authors",
        "count",
        "baseline",
        "zscore",
        "score",
        "alert_id",
    ]
    _emit(rows, columns, format, f"{len(rows)} alerts")


@app.command()
def sql(
    query: Annotated[
        str, typer.Argument(help="DuckDB SQL over the lake's tables (posts, keyword_counts, ...)")
    ],
    format: Annotated[SqlFormat, typer.Option("--format")] = SqlFormat.table,
) -> None:
    """Run DuckDB SQL over every Delta table of the lake."""
    names, rows = queries.run_sql(Lake.from_settings(_settings()), query)
    records = [dict(zip(names, row, strict=True)) for row in rows]
    if format is SqlFormat.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(names)
        writer.writerows([[_plain(v) for v in row] for row in rows])
        sys.stdout.write(buffer.getvalue())
        return
    _emit(records, names, Listing(format.value), f"{len(records)} rows")


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
        _settings(),
        hours=hours,
        seed=seed,
        posts_per_minute=posts_per_minute,
        workdir=workdir,
        console=out,
        errors=err,
    )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, float):
        return round(value, 3)
    return value


def _emit(rows: list[dict[str, Any]], columns: list[str], format: Listing, title: str) -> None:
    if format is Listing.json:
        for row in rows:
            sys.stdout.write(
                json.dumps({k: _plain(v) for k, v in row.items()}, ensure_ascii=False, default=str)
                + "\n"
            )
        return
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(
            column,
            justify="right" if rows and isinstance(rows[0].get(column), int | float) else "left",
        )
    for row in rows:
        table.add_row(*(str(_plain(row.get(c))) for c in columns))
    out.print(table)


def main() -> None:
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    try:
        app(standalone_mode=False)
    except TrendlakeError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # click usage errors carry their own exit code
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
