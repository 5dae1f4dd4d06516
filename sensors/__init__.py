"""The minute sensor: one run for all newly closed (and late) minutes of the posts table."""

from datetime import timedelta

from dagster import (
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from resources import TrendlakeResource
from trendlake.planner import Plan, plan_run
from trendlake.timeutil import iso

TREND_JOB = "trend_job"
ASSET_OPS = ("minute_counts", "trend_scores", "alerts", "alert_publications")


def run_config_for(plan: Plan) -> dict[str, object]:
    """The same minute range for every asset of the run."""
    config = {
        "start": iso(plan.span.start),
        "end": iso(plan.span.end),
        "posts_version": plan.posts_version,
    }
    return {"ops": {op: {"config": config} for op in ASSET_OPS}}


# On by default: a fresh deployment computes minutes without anyone clicking in the UI.
@sensor(job_name=TREND_JOB, minimum_interval_seconds=15, default_status=DefaultSensorStatus.RUNNING)
def closed_minutes_sensor(
    context: SensorEvaluationContext, trendlake: TrendlakeResource
) -> SensorResult | SkipReason:
    """Watch the posts table's version and watermark; one run per batch of closed minutes."""
    settings = trendlake.settings()
    plan = plan_run(trendlake.lake(), timedelta(seconds=settings.grace_seconds))
    if plan is None:
        return SkipReason("no newly closed minutes")
    context.log.info("requesting %s (late from %s)", plan.span.describe(), plan.late_from)
    # The run key names the range and the posts version: a re-evaluated tick never launches twice.
    return SensorResult(
        run_requests=[RunRequest(run_key=plan.run_key, run_config=run_config_for(plan))]
    )


# Nightly, after the day's partition has closed: compaction never races the live minute writes.
maintenance_schedule = ScheduleDefinition(
    job_name="lake_maintenance",
    cron_schedule="30 0 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Daily Delta maintenance of every table (compaction, checkpoint, vacuum).",
)
