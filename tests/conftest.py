"""Shared fixtures: a fresh local lake per test, small synthetic streams, post builders."""

from __future__ import annotations

import itertools
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from trendlake import synth
from trendlake.alerts import AlertRules
from trendlake.config import Settings
from trendlake.lake import Lake

T0 = datetime(2026, 3, 2, tzinfo=UTC)
_RKEYS = itertools.count()


@pytest.fixture
def lake_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh lake folder, also set as TRENDLAKE_LAKE_URI for code that reads settings."""
    path = tmp_path / "lake"
    monkeypatch.setenv("TRENDLAKE_LAKE_URI", str(path))
    return path


@pytest.fixture
def lake(lake_dir: Path) -> Lake:
    return Lake(str(lake_dir))


@pytest.fixture
def settings(lake_dir: Path) -> Settings:
    return Settings(lake_uri=str(lake_dir))


@pytest.fixture(scope="session")
def small_stream(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2.5-hour synthetic stream with bursts and decoys, shared by the end-to-end tests."""
    out = tmp_path_factory.mktemp("stream") / "stream.jsonl"
    synth.generate(out, hours=2.5, seed=11, posts_per_minute=150)
    return out


def make_post(
    text: str,
    *,
    did: str = "did:plc:alice",
    minute: int = 0,
    second: int = 0,
    rkey: str | None = None,
    langs: list[str] | None = None,
    hashtags: list[str] | None = None,
    links: list[str] | None = None,
    reply_root: str | None = None,
) -> dict[str, object]:
    """A posts-table row (event_time as a datetime) for pure computation tests."""
    moment = T0 + timedelta(minutes=minute, seconds=second)
    rkey = rkey or f"r{next(_RKEYS):08d}"
    return {
        "uri": f"at://{did}/app.bsky.feed.post/{rkey}",
        "did": did,
        "text": text,
        "langs": ["en"] if langs is None else langs,
        "hashtags": hashtags or [],
        "links": links or [],
        "event_time": moment,
        "reply_root": reply_root,
    }


def score_row(
    minute: int,
    score: float,
    *,
    keyword: str = "zorblax",
    z: float = 6.0,
    authors: int = 20,
    recent: int = 0,
    threads: int | None = None,
    recent_threads: int | None = None,
    copies: int | None = None,
    recent_copies: int | None = None,
    cover: int | None = None,
    count: int | None = None,
    baseline: float = 1.0,
    history: int = 120,
    langs: tuple[str, ...] = ("en",),
    shares: tuple[float, ...] = (1.0,),
) -> dict[str, object]:
    """A trend_scores row (10-minute window ending after `minute`) for alert tests.

    Threads and copies default to one per author: every post its own thread and text, as
    in a broad trend.
    `cover` is the authors of a phrase or longer word containing the keyword (none by default).
    """
    kind = "hashtag" if keyword.startswith("#") else "phrase" if " " in keyword else "word"
    return {
        "minute": T0 + timedelta(minutes=minute),
        "keyword": keyword,
        "kind": kind,
        "window_start": T0 + timedelta(minutes=minute - 9),
        "window_end": T0 + timedelta(minutes=minute + 1),
        "count": authors if count is None else count,
        "unique_authors": authors,
        "recent_authors": recent,  # none in the last minutes unless given: the window decides
        "baseline": baseline,
        "baseline_std": 1.0,
        "history_minutes": history,
        "zscore": z,
        "velocity": 1,
        "score": score,
        "confidence": 0.9,
        "langs": list(langs),
        "lang_shares": list(shares),
        "unique_threads": authors if threads is None else threads,
        "recent_threads": recent if recent_threads is None else recent_threads,
        "cover_authors": cover,
        "unique_copies": authors if copies is None else copies,
        "recent_copies": recent if recent_copies is None else recent_copies,
    }


def require_env(name: str) -> str:
    """A service variable set by `scripts/services/services up`; skip the test without it."""
    value = os.environ.get(name)
    if not value:
        pytest.skip(
            f"{name} is not set: start the services with `scripts/services/services up` "
            "and `source .cache/services/env.sh`"
        )
    return value


# Alert rules of the lifecycle and eligibility tests: round numbers, far from the defaults.
RULES = AlertRules(
    z_threshold=4,
    min_authors=8,
    min_ratio=2,
    min_history_minutes=30,
    cooldown=timedelta(minutes=60),
    escalation_factor=2,
    surprise_threshold=5,
    chance_alerts_per_hour=0.1,
    window_minutes=10,
    recent_minutes=3,
    ended_after=timedelta(minutes=30),
)
