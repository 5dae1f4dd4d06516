"""dagster-webserver and dagster-daemon on a fresh lake: the sensor launches runs, alerts appear."""

from __future__ import annotations

import os
import socket
import time
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRun, DagsterRunStatus, RunsFilter

from trendlake.config import Settings
from trendlake.ingest.runner import ingest_file
from trendlake.lake import Lake
from trendlake.models import ALERTS
from trendlake.planner import plan_run, read_state
from trendlake.processes import Children, dagster_commands, prepare_dagster_home

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(condition: Callable[[], object], seconds: float, what: str, children: Children) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        failed = children.failed()
        assert failed is None, f"{failed} exited: see {children.logs / (failed or '')}.log"
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}; logs in {children.logs}")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def test_sensor_runs_the_pipeline_under_the_daemon(
    small_stream: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake_dir, home = tmp_path / "lake", tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    env = {**os.environ, "TRENDLAKE_LAKE_URI": str(lake_dir), "DAGSTER_HOME": str(home)}
    lake = Lake(str(lake_dir))
    ingest_file(small_stream, lake, Settings(lake_uri=str(lake_dir)))
    plan = plan_run(lake, timedelta(seconds=10))
    assert plan is not None

    port = _free_port()
    children = Children(tmp_path / "logs")
    try:
        prepare_dagster_home(env, ROOT)
        for name, argv in dagster_commands(ROOT / "workspace.yaml", "127.0.0.1", port).items():
            children.start(name, argv, env, ROOT)
        _wait(
            lambda: _answers(f"http://127.0.0.1:{port}/server_info"), 120, "the webserver", children
        )
        _wait(
            lambda: read_state(lake).processed_through == plan.span.end,
            240,
            "a sensor run",
            children,
        )
        # The run goes on after the alerts commit (publication, checks): wait for its end.
        _wait(lambda: _sensor_runs(DagsterRunStatus.SUCCESS), 120, "the run's success", children)
    finally:
        children.stop()
    assert all(p.poll() is not None for p in children.started.values())

    assert lake.read(ALERTS).height > 0
    runs = _sensor_runs()
    assert runs, "no run was launched by the sensor"
    assert all(run.job_name == "trend_job" for run in runs)


def _sensor_runs(status: DagsterRunStatus | None = None) -> list[DagsterRun]:
    """Runs the sensor launched (instance of DAGSTER_HOME), optionally of one status only."""
    runs = DagsterInstance.get().get_runs(
        RunsFilter(tags={"dagster/sensor_name": "closed_minutes_sensor"})
    )
    return [run for run in runs if status is None or run.status == status]


def test_up_runs_ingest_webserver_and_daemon_and_stops_them_on_sigterm(
    small_stream: Path, tmp_path: Path
) -> None:
    import signal
    import subprocess
    import sys

    lake_dir, home = tmp_path / "lake", tmp_path / "home"
    port = _free_port()
    env = {**os.environ, "TRENDLAKE_LAKE_URI": str(lake_dir)}
    argv = [
        sys.executable,
        "-m",
        "trendlake",
        "up",
        "--source",
        "file",
        "--file",
        str(small_stream),
    ]
    argv += ["--port", str(port), "--dagster-home", str(home)]
    up = subprocess.Popen(argv, env=env, stderr=subprocess.PIPE, text=True, start_new_session=True)
    lake = Lake(str(lake_dir))
    watcher = Children(tmp_path / "none")  # only for _wait's failure check
    try:
        _wait(
            lambda: _answers(f"http://127.0.0.1:{port}/server_info"), 120, "the webserver", watcher
        )
        _wait(
            lambda: lake.table(ALERTS) is not None and lake.read(ALERTS).height > 0,
            240,
            "alerts",
            watcher,
        )
    finally:
        up.send_signal(signal.SIGTERM)
        _, stderr = up.communicate(timeout=60)
    assert up.returncode == 0, stderr
    assert "stopped: ingest" in stderr
    assert not _answers(f"http://127.0.0.1:{port}/server_info")
