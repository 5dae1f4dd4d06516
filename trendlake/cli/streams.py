"""Commands that make and land streams: synth, ingest, record."""

from __future__ import annotations

import logging
import signal
import threading
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from trendlake.cli.common import app, err, load_settings, progress_bar, time_option
from trendlake.errors import InputError
from trendlake.ingest.files import require_file
from trendlake.ingest.metrics import IngestMetrics
from trendlake.ingest.sinks import LakeSink, Sink
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
    spam: Annotated[
        bool,
        typer.Option(
            help="add floods of other shapes as decoys: one account at ten times the stream's "
            "rate, hashtag, link and ramp floods by one account, four sockpuppets, a ring "
            "of 12 accounts pasting one text, a ring of 12 filling two made-up codes into "
            "each copy, 8 sockpuppets posting a new word 8-12 times a minute each, and a "
            "ring of 12 pasting three words, a new word and a link"
        ),
    ] = False,
    cjk_bursts: Annotated[
        bool,
        typer.Option(
            help="make the new-word bursts new Han compounds (like 地震速報), posted in "
            "Japanese and Chinese by turns"
        ),
    ] = False,
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
                spam=spam,
                cjk_bursts=cjk_bursts,
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
    url: Annotated[
        str | None,
        typer.Option(
            help="firehose: relay base URL (default wss://bsky.network); "
            "jetstream: full subscribe URL"
        ),
    ] = None,
    max_events: Annotated[int | None, typer.Option(min=1, help="stop after N events")] = None,
    idle_exit: Annotated[
        float | None, typer.Option(help="stop after N idle seconds (live sources)")
    ] = None,
    strict: Annotated[
        bool, typer.Option(help="stop at the first bad line instead of skipping it")
    ] = False,
    recv_timeout: Annotated[
        float, typer.Option(help="live: reconnect when no frame arrives for N seconds")
    ] = 30.0,
    zstd_dict: Annotated[
        Path | None,
        typer.Option(help="jetstream: Jetstream's zstd dictionary; requests compress=true"),
    ] = None,
    metrics_port: Annotated[
        int | None, typer.Option(help="live: serve Prometheus metrics on this port")
    ] = None,
) -> None:
    """Decode events and land posts (and deletes) in the lake, exactly once."""
    if sink is SinkKind.kafka and not load_settings().kafka_bootstrap:
        raise InputError("--sink kafka needs TRENDLAKE_KAFKA_BOOTSTRAP (host:port of a broker)")
    if source is Source.file:
        if file is None:
            raise InputError("--source file needs --file PATH")
        require_file(file)  # before any progress display or sink opens
        if format is FileFormat.frames:
            _ingest_frames(file, sink, max_events)
        else:
            _ingest_jetstream_file(file, sink, strict=strict, max_events=max_events)
        return
    _ingest_live(
        source,
        url,
        sink,
        max_events=max_events,
        idle_exit=idle_exit,
        recv_timeout=recv_timeout,
        zstd_dict=zstd_dict,
        metrics_port=metrics_port,
    )


def _ingest_jetstream_file(
    file: Path, sink: SinkKind, *, strict: bool, max_events: int | None
) -> None:
    from trendlake.ingest.runner import file_app_id, ingest_file

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
            sink=_sink(sink, file_app_id(file)),
        )
    err.print(stats.summary())


def _sink(kind: SinkKind, app_id: str) -> Sink:
    """The lake sink (default) or the Kafka sink, both resuming from their own cursor."""
    settings = load_settings()
    if kind is SinkKind.kafka:
        from trendlake.ingest.kafka_sink import make_kafka_sink

        return make_kafka_sink(settings, app_id)
    return LakeSink(
        Lake.from_settings(settings),
        app_id,
        batch_posts=settings.batch_posts,
        batch_seconds=settings.batch_seconds,
    )


def _ingest_frames(file: Path, sink: SinkKind, max_events: int | None) -> None:
    from trendlake.ingest.live_runner import frames_app_id, run_frames_file

    stats = run_frames_file(
        file, _sink(sink, frames_app_id(file)), IngestMetrics("file"), max_events=max_events
    )
    err.print(stats.summary())


def _stop_on_signals() -> threading.Event:
    """SIGTERM and SIGINT ask the loop to stop; it lands what it has and exits 0."""
    stop = threading.Event()

    def handle(signum: int, _frame: object) -> None:
        logging.getLogger("trendlake.ingest").info("stopping on %s", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop


def _serve_metrics(metrics: IngestMetrics, port: int | None) -> None:
    if port is not None:
        from prometheus_client import start_http_server

        start_http_server(port, addr="127.0.0.1", registry=metrics.registry)


def _ingest_live(
    source: Source,
    url: str | None,
    sink_kind: SinkKind,
    *,
    max_events: int | None,
    idle_exit: float | None,
    recv_timeout: float,
    zstd_dict: Path | None,
    metrics_port: int | None,
) -> None:
    from trendlake.ingest.live import FeedOptions
    from trendlake.ingest.live_runner import LiveSpec, run_live
    from trendlake.ingest.logs import configure_json_logs
    from trendlake.ingest.sources import DEFAULT_JETSTREAM, DEFAULT_RELAY

    default = DEFAULT_RELAY if source is Source.firehose else DEFAULT_JETSTREAM
    spec = LiveSpec(source.value, url or default, zstd_dict)
    spec.url_for()  # validates the URL before anything starts
    if zstd_dict is not None and not zstd_dict.is_file():
        raise InputError(f"no such zstd dictionary: {zstd_dict}")
    configure_json_logs()
    sink = _sink(sink_kind, spec.app_id)
    metrics = IngestMetrics(source.value)
    _serve_metrics(metrics, metrics_port)
    stats = run_live(
        spec,
        sink,
        metrics,
        stop=_stop_on_signals(),
        options=FeedOptions(recv_timeout=recv_timeout, idle_exit=idle_exit),
        max_events=max_events,
    )
    # stderr stays pure JSON lines for log shippers: the summary is a log line too
    logging.getLogger("trendlake.ingest").info(
        "stopped", extra={"summary": stats.summary(), "position": stats.last_position}
    )


@app.command()
def record(
    out_file: Annotated[Path, typer.Option("--out", help="capture file to write (appends)")],
    url: Annotated[
        str | None, typer.Option(help="relay base URL (default wss://bsky.network)")
    ] = None,
    max_events: Annotated[int | None, typer.Option(min=1, help="stop after N frames")] = None,
    idle_exit: Annotated[float | None, typer.Option(help="stop after N idle seconds")] = None,
    recv_timeout: Annotated[
        float, typer.Option(help="reconnect when no frame arrives for N seconds")
    ] = 30.0,
) -> None:
    """Capture raw firehose frames (length-prefixed; replay with --format frames)."""
    from trendlake.ingest.live import FeedOptions
    from trendlake.ingest.live_runner import record as record_frames
    from trendlake.ingest.logs import configure_json_logs
    from trendlake.ingest.sources import DEFAULT_RELAY, firehose_url

    firehose_url(url or DEFAULT_RELAY)  # validates the URL
    configure_json_logs()
    stats = record_frames(
        url or DEFAULT_RELAY,
        out_file,
        IngestMetrics("record"),
        stop=_stop_on_signals(),
        options=FeedOptions(recv_timeout=recv_timeout, idle_exit=idle_exit),
        max_events=max_events,
    )
    logging.getLogger("trendlake.ingest").info(
        "recorded",
        extra={
            "frames": stats.frames,
            "bytes": stats.bytes,
            "undecodable": stats.decode_errors,
            "out": str(out_file),
            "stopped_by": stats.stopped_by,
        },
    )
