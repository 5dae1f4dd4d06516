"""`trendlake alerts --follow`: prints what is there, then each new row once; Ctrl-C exits 0."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import polars as pl

from tests.conftest import RULES, T0
from trendlake.alerts import announce
from trendlake.lake import Lake
from trendlake.models import ALERTS

M = timedelta(minutes=1)
WAIT = 60.0  # bound on every wait: a broken follow fails the test instead of hanging it


def _alert_rows(minute: int, keyword: str) -> pl.DataFrame:
    scored = {
        "minute": T0 + minute * M,
        "keyword": keyword,
        "kind": "word",
        "window_start": T0 + (minute - 9) * M,
        "window_end": T0 + (minute + 1) * M,
        "count": 30,
        "unique_authors": 20,
        "baseline": 1.0,
        "zscore": 6.0,
        "score": 10.0,
        "confidence": 0.9,
        "langs": ["en"],
        "lang_shares": [1.0],
    }
    frame = pl.DataFrame(
        [scored],
        schema_overrides={
            k: pl.Datetime("us", "UTC") for k in ("minute", "window_start", "window_end")
        },
    )
    found = announce(frame, {}, RULES)
    return pl.DataFrame(found).with_columns(date=pl.col("minute").dt.date())


def _write(lake: Lake, minute: int, keyword: str) -> None:
    rows = _alert_rows(minute, keyword)
    lake.replace_range(ALERTS, rows.to_arrow(), T0 + minute * M, T0 + (minute + 1) * M)


def _lines(process: subprocess.Popen[str]) -> tuple[queue.Queue[str], threading.Thread]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    return lines, reader


def _keywords(lines: queue.Queue[str], count: int) -> list[str]:
    found: list[str] = []
    deadline = time.monotonic() + WAIT
    while len(found) < count and time.monotonic() < deadline:
        try:
            found.append(json.loads(lines.get(timeout=0.5))["keyword"])
        except queue.Empty:
            continue
    return found


def test_follow_prints_old_rows_then_each_new_row_once_and_ctrl_c_exits_0(lake_dir: Path) -> None:
    lake = Lake(str(lake_dir))
    _write(lake, 100, "before")
    _write(lake, 5, "too_old")  # its window ends before --since
    env = {**os.environ, "TRENDLAKE_LAKE_URI": str(lake_dir)}
    since = (T0 + 50 * M).isoformat()
    command = [sys.executable, "-m", "trendlake", "alerts", "--follow", "--format", "json"]
    process = subprocess.Popen(
        [*command, "--since", since, "--poll-seconds", "0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        lines, reader = _lines(process)
        assert _keywords(lines, 1) == ["before"]
        _write(lake, 101, "after")
        # rewriting minute 100 with identical rows is a new version but nothing new to print
        _write(lake, 100, "before")
        _write(lake, 102, "later")
        assert _keywords(lines, 2) == ["after", "later"]
        assert lines.empty()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=WAIT) == 0
        reader.join(timeout=WAIT)
        assert lines.empty()  # nothing more was printed up to the exit
    finally:
        if process.poll() is None:
            process.kill()
