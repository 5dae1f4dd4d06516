"""The Dagster layer: definitions load, assets materialize on a real lake, the sensor plans."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from dagster import RunRequest, SensorResult, SkipReason, build_sensor_context, materialize

from assets import COMPUTED_ASSETS, posts
from definitions import defs, run_plan_in_process
from resources import TrendlakeResource
from sensors import closed_minutes_sensor, run_config_for
from trendlake.config import Settings
from trendlake.ingest.runner import ingest_file
from trendlake.lake import Lake
from trendlake.models import ALERTS, KEYWORD_COUNTS, MINUTE_STATS, TREND_SCORES
from trendlake.planner import plan_run, read_state

ROOT = Path(__file__).resolve().parents[2]


def test_definitions_validate_from_workspace_yaml() -> None:
    dagster = Path(sys.executable).with_name("dagster")
    result = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_lineage_runs_from_posts_to_alerts() -> None:
    graph = defs.resolve_asset_graph()
    upstream = {
        key.to_user_string(): {p.to_user_string() for p in graph.get(key).parent_keys}
        for key in graph.get_all_asset_keys()
    }
    assert upstream["keyword_counts"] == {"posts"}
    assert upstream["trend_scores"] == {"posts", "keyword_counts", "minute_stats"}
    assert upstream["alerts"] == {"trend_scores"}


@pytest.fixture
def landed(lake_dir: Path, small_stream: Path) -> Lake:
    lake = Lake(str(lake_dir))
    ingest_file(small_stream, lake, Settings(lake_uri=str(lake_dir)))
    return lake


def test_materialize_computes_every_table(landed: Lake, lake_dir: Path) -> None:
    plan = plan_run(landed, timedelta(seconds=10))
    assert plan is not None
    resources = {"trendlake": TrendlakeResource(lake_uri=str(lake_dir))}
    result = materialize(
        [posts, *COMPUTED_ASSETS],
        resources=resources,
        run_config=run_config_for(plan),
        selection=COMPUTED_ASSETS,
    )
    assert result.success
    for table in (KEYWORD_COUNTS, MINUTE_STATS, TREND_SCORES, ALERTS):
        assert landed.read(table).height > 0, table
    materializations = {
        m.asset_key.to_user_string(): m.metadata
        for m in (event.materialization for event in result.get_asset_materialization_events())
    }
    assert materializations["trend_scores"]["minutes_covered"].value == plan.span.minutes
    for copies in ("copy_templates", "copy_singles"):
        assert materializations[copies]["minutes_covered"].value == plan.span.minutes
    assert read_state(landed).processed_through == plan.span.end


def test_sensor_requests_one_run_then_skips_once_processed(landed: Lake, lake_dir: Path) -> None:
    resources = {"trendlake": TrendlakeResource(lake_uri=str(lake_dir))}
    with build_sensor_context(resources=resources) as context:
        result = closed_minutes_sensor(context)
    assert isinstance(result, SensorResult) and result.run_requests is not None
    (request,) = result.run_requests
    assert isinstance(request, RunRequest)
    plan = plan_run(landed, timedelta(seconds=10))
    assert plan is not None and request.run_key == plan.run_key
    assert run_plan_in_process(plan)
    with build_sensor_context(resources=resources) as context:
        assert isinstance(closed_minutes_sensor(context), SkipReason)


def test_asset_checks_pass_on_a_processed_lake_and_fail_on_a_gap(landed: Lake) -> None:
    from trendlake import quality
    from trendlake.models import MINUTE_STATS

    plan = plan_run(landed, timedelta(seconds=10))
    assert plan is not None and run_plan_in_process(plan)
    for check in (
        quality.counts_cover_authors,
        quality.no_empty_keyword,
        quality.no_gap_in_processed_minutes,
        quality.watermark_never_moves_back,
        quality.alerts_refer_to_scores,
    ):
        outcome = check(landed)
        assert outcome.passed, (check.__name__, outcome.description)
    # Remove one processed minute: the gap check must notice it.
    minute = landed.read(MINUTE_STATS).sort("minute")["minute"][-30]
    landed.replace_range(
        MINUTE_STATS,
        landed.read(MINUTE_STATS).head(0).to_arrow(),
        minute,
        minute + timedelta(minutes=1),
    )
    outcome = quality.no_gap_in_processed_minutes(landed)
    assert not outcome.passed and outcome.metadata["minutes_missing"] == 1


def test_checks_and_maintenance_run_through_dagster(landed: Lake) -> None:
    plan = plan_run(landed, timedelta(seconds=10))
    assert plan is not None and run_plan_in_process(plan)
    job = defs.resolve_job_def("trend_job")
    checks = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    assert checks == {
        "counts_cover_authors",
        "no_empty_keyword",
        "no_gap_in_processed_minutes",
        "watermark_never_moves_back",
        "alerts_refer_to_scores",
    }
    assert job.executor_def.name == "in_process"
    result = defs.resolve_job_def("lake_maintenance").execute_in_process()
    assert result.success
    observed = {
        e.asset_observation_data.asset_observation.asset_key.to_user_string()
        for e in result.get_asset_observation_events()
    }
    assert {"posts", "keyword_counts", "trend_scores"} <= observed
