"""Commands that make and land streams: synth, ingest."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from trendlake.cli.common import app, err, load_settings, progress_bar, time_option
from trendlake.errors import InputError
from trendlake.lake import Lake


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
        with progress_bar() as progress:
            task = progress.add_task("generating minutes", total=None)
            summary = synthesis.generate(
                out_file,
                hours=hours,
                seed=seed,
                posts_per_minute=posts_per_minute,
                start=time_option(start),
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
    settings = load_settings()
    with progress_bar() as progress:
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
