"""Dagster code location of trendlake (loaded from the checkout through workspace.yaml)."""

from __future__ import annotations

import os

from dagster import (
    AssetSelection,
    DagsterInstance,
    Definitions,
    define_asset_job,
    in_process_executor,
)

from assets import COMPUTED_ASSETS, TREND_ASSETS
from assets.checks import TREND_CHECKS
from assets.maintenance import lake_maintenance
from resources import TrendlakeResource
from sensors import TREND_JOB, closed_minutes_sensor, maintenance_schedule, run_config_for
from trendlake.planner import Plan

# One process per run, not one per step: a minute's run should cost its work, not launches.
trend_job = define_asset_job(
    TREND_JOB,
    selection=AssetSelection.assets(*COMPUTED_ASSETS),
    description="Counts, scores and alerts for one range of closed minutes.",
    executor_def=in_process_executor,
)

defs = Definitions(
    assets=TREND_ASSETS,
    asset_checks=TREND_CHECKS,
    jobs=[trend_job, lake_maintenance],
    schedules=[maintenance_schedule],
    sensors=[closed_minutes_sensor],
    resources={"trendlake": TrendlakeResource()},
)


def run_plan_in_process(plan: Plan, instance: DagsterInstance | None = None) -> bool:
    """Execute the trend job in this process for `plan` (what `trendlake process` calls)."""
    job = defs.resolve_job_def(TREND_JOB)
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    if instance is None:  # with DAGSTER_HOME set the run shows up in the UI's history
        instance = (
            DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else DagsterInstance.ephemeral()
        )
    result = job.execute_in_process(
        run_config={**run_config_for(plan), **quiet},
        instance=instance,
        tags={"trendlake/range": plan.span.describe()},
        raise_on_error=False,
    )
    return result.success
