"""Commands that read the lake: trends, alerts, evaluate, sql."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from trendlake import evaluation, queries
from trendlake.cli.common import (
    Listing,
    SqlFormat,
    app,
    cell,
    emit,
    load_settings,
    out,
    plain,
    time_option,
)
from trendlake.lake import Lake
from trendlake.publish import tail
from trendlake.timeutil import iso


@app.command()
def trends(
    at: Annotated[
        str | None, typer.Option(help="minute to show (default: the latest computed)")
    ] = None,
    top: Annotated[int, typer.Option(min=1, help="how many")] = 20,
    kind: Annotated[str | None, typer.Option(help="word, phrase, hashtag or domain")] = None,
    lang: Annotated[
        str | None, typer.Option(help="only trends in this language (e.g. ja, pt)")
    ] = None,
    format: Annotated[Listing, typer.Option("--format")] = Listing.table,
) -> None:
    """The top trending keywords of one minute, ranked by score."""
    lake = Lake.from_settings(load_settings())
    minute, rows = queries.trends_at(lake, time_option(at), top=top, kind=kind, lang=lang)
    columns = [
        "rank", "keyword", "kind", "unique_authors", "count", "baseline", "zscore",
        "velocity", "score", "confidence", "langs",
    ]  # fmt: skip
    title = (
        f"Trending at {iso(minute)} "
        f"(window {iso(rows[0]['window_start'])} .. {iso(rows[0]['window_end'])})"
        if rows and minute
        else "No trends computed yet"
    )
    emit(rows, columns, format, title)


@app.command()
def evaluate(
    truth: Annotated[
        Path,
        typer.Option(help="ground truth JSON: synth's FILE.truth.json, or your own (README)"),
    ],
    format: Annotated[Listing, typer.Option("--format")] = Listing.table,
) -> None:
    """Score the lake's alerts against a stream's ground truth: recall, latency, precision."""
    settings = load_settings()
    checked = evaluation.checked_truth(evaluation.load_truth(truth), truth.name)
    result = queries.evaluate_alerts(Lake.from_settings(settings), checked, settings.min_authors)
    card = evaluation.scorecard(result)
    if format is Listing.json:
        sys.stdout.write(json.dumps(card, ensure_ascii=False) + "\n")
        return
    rows = [{"measure": name, "value": cell(value)} for name, value in card.items()]
    emit(rows, ["measure", "value"], format, f"Against {truth.name}")
    out.print(result.summary())


@app.command()
def alerts(
    since: Annotated[
        str | None, typer.Option(help="alerts whose window ends after this time")
    ] = None,
    format: Annotated[Listing, typer.Option("--format")] = Listing.table,
    follow: Annotated[
        bool, typer.Option(help="keep printing new alerts as they are computed (Ctrl-C stops)")
    ] = False,
    poll_seconds: Annotated[
        float, typer.Option(min=0.05, help="with --follow: seconds between looks at the table")
    ] = 2.0,
) -> None:
    """Trend alerts (every alert when --since is not given)."""
    columns = [
        "minute",
        "window_end",
        "status",
        "keyword",
        "kind",
        "unique_authors",
        "count",
        "baseline",
        "zscore",
        "score",
        "langs",
        "alert_id",
    ]
    lake = Lake.from_settings(load_settings())
    if not follow:
        rows = queries.alerts_since(lake, time_option(since))
        emit(rows, columns, format, f"{len(rows)} alerts")
        return
    # Followed rows print as they arrive: JSON lines, or fixed-width lines under one header
    # (a table per poll would repeat its header every few seconds).
    widths = [20, 20, 10, 28, 7, 6, 6, 8, 8, 9, 8, 20]
    if format is Listing.table:
        header = [c[:w] for c, w in zip(columns, widths, strict=True)]
        out.print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    try:
        for batch in tail.follow(lake, time_option(since), poll_seconds):
            if format is Listing.json:
                emit(batch, columns, format, "")
            else:
                for row in batch:
                    cells = [cell(row.get(c)) for c in columns]
                    line = "  ".join(v.ljust(w) for v, w in zip(cells, widths, strict=True))
                    out.print(line.rstrip(), highlight=False, markup=False)
            sys.stdout.flush()
    except KeyboardInterrupt:
        return  # Ctrl-C is how a follow ends: a normal exit


@app.command()
def sql(
    query: Annotated[
        str, typer.Argument(help="DuckDB SQL over the lake's tables (posts, keyword_counts, ...)")
    ],
    format: Annotated[SqlFormat, typer.Option("--format")] = SqlFormat.table,
) -> None:
    """Run DuckDB SQL over every Delta table of the lake."""
    names, rows = queries.run_sql(Lake.from_settings(load_settings()), query)
    records = [dict(zip(names, row, strict=True)) for row in rows]
    if format is SqlFormat.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(names)
        writer.writerows([[plain(v) for v in row] for row in rows])
        sys.stdout.write(buffer.getvalue())
        return
    emit(records, names, Listing(format.value), f"{len(records)} rows")
