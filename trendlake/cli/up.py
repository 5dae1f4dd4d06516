"""`trendlake up`: live ingest, the Dagster webserver and the daemon on the configured lake."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from trendlake.cli.common import app, err, load_settings
from trendlake.cli.streams import Source
from trendlake.errors import InputError
from trendlake.lake import Lake
from trendlake.orchestration import checkout_root
from trendlake.processes import Children, dagster_commands, prepare_dagster_home


class _StopRequestedError(Exception):
    """Raised from the SIGTERM handler so SIGTERM and Ctrl-C share one shutdown path."""


def _on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise _StopRequestedError


@app.command()
def up(
    source: Annotated[Source, typer.Option(help="where live events come from")] = Source.firehose,
    url: Annotated[str | None, typer.Option(help="relay or Jetstream URL")] = None,
    file: Annotated[Path | None, typer.Option(help="a recorded file for --source file")] = None,
    host: Annotated[str, typer.Option(help="webserver host")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="webserver port")] = 3000,
    dagster_home: Annotated[Path, typer.Option(help="Dagster's state folder")] = Path(".dagster"),
) -> None:
    """Live ingest + Dagster webserver and daemon (sensor on); Ctrl-C or SIGTERM stops them all."""
    settings = load_settings()
    lake = Lake.from_settings(settings)
    root = checkout_root()
    home = dagster_home.expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    # Children run from the checkout: hand them absolute locations.
    env = {**os.environ, "DAGSTER_HOME": str(home), "TRENDLAKE_LAKE_URI": lake.uri}
    ingest = [sys.executable, "-m", "trendlake", "ingest", "--source", source.value]
    if source is Source.file:
        if file is None:
            raise InputError("--source file needs --file PATH")
        ingest += ["--file", str(file.resolve())]
    if url:
        ingest += ["--url", url]
    children = Children(home / "trendlake-logs")  # Dagster owns (and prunes) home/logs
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        prepare_dagster_home(env, root)
        children.start("ingest", ingest, env, root)
        for name, argv in dagster_commands(root / "workspace.yaml", host, port).items():
            children.start(name, argv, env, root)
        err.print(f"lake {lake.uri}; Dagster UI on http://{host}:{port}; logs in {children.logs}")
        err.print("the sensor computes closed minutes as posts land; Ctrl-C stops everything")
        _supervise(children)
    except (KeyboardInterrupt, _StopRequestedError):
        err.print("stopping ...")
    finally:
        children.stop()
        err.print(
            "stopped: " + ", ".join(f"{n} ({p.returncode})" for n, p in children.started.items())
        )


def _supervise(children: Children) -> None:
    """Wait for a stop request; a Dagster process that dies stops everything."""
    while True:
        time.sleep(1)
        failed = children.failed()
        if failed is None:
            continue
        if failed == "ingest" and children.started["ingest"].returncode == 0:
            continue  # a recorded file or --max-events finished; the UI stays up
        code = children.started[failed].returncode
        raise InputError(f"{failed} exited with {code}; see {children.logs / failed}.log")
