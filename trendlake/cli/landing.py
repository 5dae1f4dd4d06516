"""`trendlake land`: Kafka -> Delta, exactly once (the offsets ride in the Delta commits)."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Annotated

import typer

from trendlake.cli.common import app, err, load_settings
from trendlake.errors import InputError
from trendlake.lake import Lake


@app.command()
def land(
    idle_exit: Annotated[
        float | None, typer.Option(help="stop after N seconds without a message")
    ] = None,
) -> None:
    """Land the Kafka posts topic into the posts and post_deletes tables, exactly once."""
    from trendlake.ingest.lander import Lander

    settings = load_settings()
    if not settings.kafka_bootstrap:
        raise InputError("land needs Kafka: set TRENDLAKE_KAFKA_BOOTSTRAP")
    stop = threading.Event()

    def handle(signum: int, _frame: object) -> None:
        # Land the batch in hand and leave the group cleanly, so a restart resumes at once.
        logging.getLogger("trendlake.land").info("stopping on %s", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    lander = Lander(Lake.from_settings(settings), settings)
    stats = lander.run(stop=stop, idle_exit=idle_exit)
    err.print(stats.summary())
