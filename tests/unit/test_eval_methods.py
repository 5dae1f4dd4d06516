"""The comparison methods of `make eval` (benchmarks/eval_detection.py) on hand-made counts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl
from eval_detection import ewma_series, signitrend_ewma  # benchmarks/ is on pythonpath

from tests.conftest import T0
from trendlake.config import Settings

M = timedelta(minutes=1)


def _row(minute: int, keyword: str, keys: list[int], posts: int | None = None) -> dict[str, object]:
    n = len(keys) if posts is None else posts
    return {
        "minute": T0 + minute * M,
        "keyword": keyword,
        "kind": "word",
        "posts": n,
        "authors": len(keys),
        "author_keys": sorted(keys),
        "langs": ["en"],
        "lang_posts": [n],
        "thread_keys": sorted(keys),  # each author posts on their own
        "copy_keys": sorted(keys),  # and writes their own text
    }


def _counts(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema_overrides={"minute": pl.Datetime("us", "UTC")})


def test_ewma_fires_when_a_keyword_leaves_its_own_noise(tmp_path: Path) -> None:
    # "tea": one of 30 regulars a minute for 80 minutes, then 40 newcomers at minute 70.
    rows = [_row(m, "tea", [m % 30]) for m in range(80)]
    rows.append(_row(70, "tea", list(range(1000, 1040))))
    # "spam": one account, 50 posts every minute: one author in every window.
    rows += [_row(m, "spam", [7], posts=50) for m in range(80)]
    settings = Settings(lake_uri=str(tmp_path))
    series = ewma_series(_counts(rows), settings)
    fired = signitrend_ewma(series, settings, half_life_minutes=60)
    assert fired == [("tea", "word", T0 + 71 * M)]  # announced at the window's end
    # The surprise trendlake needed each minute (a busier stream) applies to the EWMA too.
    busy = {T0 + m * M: 99.0 for m in range(70, 80)}  # every window holding the newcomers
    assert signitrend_ewma(series, settings, 60, busy) == []
    assert signitrend_ewma(series, settings, 60, {T0 + 69 * M: 99.0}) == fired


def test_ewma_waits_for_the_warm_up(tmp_path: Path) -> None:
    rows = [_row(m, "tea", [m % 30]) for m in range(60)]
    rows.append(_row(20, "tea", list(range(1000, 1040))))  # before 40 minutes of history
    settings = Settings(lake_uri=str(tmp_path), min_history_minutes=40)
    series = ewma_series(_counts(rows), settings)
    assert signitrend_ewma(series, settings, half_life_minutes=60) == []
    warm = settings.model_copy(update={"min_history_minutes": 10})
    assert signitrend_ewma(series, warm, half_life_minutes=60) == [("tea", "word", T0 + 21 * M)]
