"""Run the checkout's Dagster job in this process, without trendlake importing dagster.

`trendlake process` plans the closed minutes here and hands the plan to `definitions.py`, the
Dagster code location that workspace.yaml also loads; the assets then call back into trendlake.
"""

from __future__ import annotations

import importlib
import sys
import time
import warnings
from dataclasses import dataclass
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


@dataclass(frozen=True)
class RunSummary:
    """What `process_closed_minutes` did: the minutes computed (none when nothing was due),
    how long it took, and from which minute late posts made it recompute."""

    span: MinuteRange | None
    seconds: float = 0.0
    late_from: datetime | None = None

    def __str__(self) -> str:
        if self.span is None:
            return "nothing to do: no newly closed minutes"
        late = f"; late posts from {self.late_from:%H:%M}" if self.late_from else ""
        return f"computed {self.span.describe()} in {self.seconds:.1f}s{late}"

    def as_json(self) -> dict[str, Any]:
        span = self.span
        return {
            "status": "nothing to do" if span is None else "computed",
            "start": iso(span.start) if span else None,
            "end": iso(span.end) if span else None,
            "minutes": span.minutes if span else 0,
            "seconds": round(self.seconds, 3),
            "late_from": iso(self.late_from) if self.late_from else None,
        }


def process_closed_minutes(
    lake: Lake,
    settings: Settings,
    *,
    until: datetime | None = None,
    rerun_from: datetime | None = None,
    console: Console | None = None,
) -> RunSummary:
    """Plan and run. `rerun_from` + `until` recompute a past range."""
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
            return RunSummary(None)
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
    return RunSummary(plan.span, time.perf_counter() - started, plan.late_from)
