"""Run the checkout's Dagster job in this process, without trendlake importing dagster.

`trendlake process` plans the closed minutes here and hands the plan to `definitions.py`, the
Dagster code location that workspace.yaml also loads; the assets then call back into trendlake.
"""

from __future__ import annotations

import importlib
import sys
import time
import warnings
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from trendlake.config import Settings
from trendlake.errors import InputError, TrendlakeError
from trendlake.lake import Lake
from trendlake.pipeline import MinuteRange
from trendlake.planner import Plan, plan_run
from trendlake.timeutil import floor_minute, iso


def checkout_root() -> Path:
    """The checkout holding this package and the Dagster layer (definitions.py)."""
    root = Path(__file__).resolve().parent.parent
    if not (root / "definitions.py").is_file():
        raise TrendlakeError(
            f"the Dagster layer (definitions.py) is not next to {root / 'trendlake'}; "
            "run from a checkout"
        )
    return root


def load_definitions() -> Any:
    """Import definitions.py from the checkout this package lives in."""
    root = checkout_root()
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    with warnings.catch_warnings():
        # Dagster flags its beta APIs (observable source assets) at import: not a user's concern.
        warnings.filterwarnings("ignore", message=".*is currently in beta.*")
        return importlib.import_module("definitions")


def process_closed_minutes(
    lake: Lake,
    settings: Settings,
    *,
    until: datetime | None = None,
    rerun_from: datetime | None = None,
    console: Console | None = None,
) -> str:
    """Plan and run; returns a one-line summary. `rerun_from` + `until` recompute a past range."""
    lake.check_tables()  # one clear line before the run, not a failed step's stack trace
    if rerun_from is not None:
        if until is None:
            raise InputError("--from needs --until (the end of the range to recompute)")
        if floor_minute(until) <= floor_minute(rerun_from):
            raise InputError(
                f"--until {iso(until)} must fall in a later minute than --from {iso(rerun_from)}"
            )
        plan = Plan(
            MinuteRange(floor_minute(rerun_from), floor_minute(until)),
            -1,
            floor_minute(until),
            None,
        )
    else:
        found = plan_run(lake, timedelta(seconds=settings.grace_seconds), until)
        if found is None:
            return "nothing to do: no newly closed minutes"
        plan = found
    definitions = load_definitions()
    started = time.perf_counter()
    status = (
        console.status(f"computing {plan.span.describe()} through Dagster, in process")
        if console
        else None
    )
    if status:
        status.start()
    try:
        ok = definitions.run_plan_in_process(plan)
    finally:
        if status:
            status.stop()
    if not ok:
        raise TrendlakeError(
            f"the trend run over {plan.span.describe()} failed (see the log above)"
        )
    late = f"; late posts from {plan.late_from:%H:%M}" if plan.late_from else ""
    return f"computed {plan.span.describe()} in {time.perf_counter() - started:.1f}s{late}"
