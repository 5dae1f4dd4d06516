"""Compare announced trends with a synthetic stream's ground truth (FILE.truth.json).

One implementation for the demo, the end-to-end tests and `make eval`: each method hands
over its announcements, (keyword, kind, detection time), and gets recall, latency,
precision, false alerts and decoys against the truth.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from trendlake.errors import InputError
from trendlake.surprise import surprise
from trendlake.text import KINDS, keyword_of
from trendlake.timeutil import MINUTE, parse_iso

Announcement = tuple[str, str, datetime]  # keyword, kind, when it was known (window end)
MATCH_SLACK = timedelta(minutes=10)  # an announcement up to 10 min after a burst still names it
RECALL_WITHIN = timedelta(minutes=3)
MIN_BURST_AUTHORS = 15  # the bursts recall@3min is promised for


@dataclass
class Evaluation:
    bursts: int = 0
    detected: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    latencies_s: list[float] = field(default_factory=list)
    qualifying: int = 0  # bursts of >= MIN_BURST_AUTHORS distinct authors
    recalled_in_time: int = 0  # of those, announced within RECALL_WITHIN of onset
    # Of the qualifying bursts, those with enough distinct authors inside RECALL_WITHIN for an
    # alert to be possible at all (see `evaluate`'s `reachable`), and how many were recalled.
    reachable: int = 0
    reachable_in_time: int = 0
    # The shape ("step", "ramp") of each qualifying burst, and of each one recalled in time.
    qualifying_shapes: list[str] = field(default_factory=list)
    in_time_shapes: list[str] = field(default_factory=list)
    announcements: int = 0
    true_announcements: int = 0
    hours: float = 0.0
    decoys: int = 0
    decoys_alerted: list[str] = field(default_factory=list)
    false_alerts: list[str] = field(default_factory=list)

    def add(self, other: Evaluation) -> None:
        """Fold another stream's evaluation into this one (for totals over scenarios)."""
        for name, value in vars(other).items():
            setattr(self, name, getattr(self, name) + value)

    @property
    def recall(self) -> float:
        return len(self.detected) / self.bursts if self.bursts else 1.0

    @property
    def recall_in_time(self) -> float:
        return self.recalled_in_time / self.qualifying if self.qualifying else 1.0

    def recall_in_time_of(self, shape: str) -> tuple[int, int]:
        """(recalled in time, qualifying) over the bursts of one shape."""
        return self.in_time_shapes.count(shape), self.qualifying_shapes.count(shape)

    @property
    def recall_reachable(self) -> float:
        return self.reachable_in_time / self.reachable if self.reachable else 1.0

    @property
    def precision(self) -> float:
        return self.true_announcements / self.announcements if self.announcements else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def false_per_hour(self) -> float:
        wrong = self.announcements - self.true_announcements
        return wrong / self.hours if self.hours else 0.0

    @property
    def median_latency_s(self) -> float | None:
        return statistics.median(self.latencies_s) if self.latencies_s else None

    @property
    def p95_latency_s(self) -> float | None:
        ordered = sorted(self.latencies_s)
        return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] if ordered else None

    def summary(self) -> str:
        latency = self.median_latency_s
        lat = f", median latency {latency / 60:.1f} min" if latency is not None else ""
        return (
            f"{len(self.detected)}/{self.bursts} injected bursts alerted{lat}; "
            f"{len(self.decoys_alerted)}/{self.decoys} decoys alerted; "
            f"{len(self.false_alerts)} other keywords alerted"
        )


def scorecard(result: Evaluation) -> dict[str, Any]:
    """An evaluation's figures by name, as `trendlake evaluate` prints them."""

    def minutes(seconds: float | None) -> float | None:
        return None if seconds is None else round(seconds / 60, 2)

    return {
        "bursts": result.bursts,
        "alerted": len(result.detected),
        "missed": result.missed,
        "recall": round(result.recall, 4),
        "qualifying_bursts": result.qualifying,
        "recalled_within_3min": result.recalled_in_time,
        "recall_at_3min": round(result.recall_in_time, 4),
        "reachable_bursts": result.reachable,
        "recall_at_3min_reachable": round(result.recall_reachable, 4),
        "median_latency_min": minutes(result.median_latency_s),
        "p95_latency_min": minutes(result.p95_latency_s),
        "announcements": result.announcements,
        "precision": round(result.precision, 4),
        "hours": round(result.hours, 3),
        "false_alerts_per_hour": round(result.false_per_hour, 3),
        "other_keywords_alerted": result.false_alerts,
        "decoys": result.decoys,
        "decoys_alerted": result.decoys_alerted,
        "f1": round(result.f1, 4),
    }


def load_truth(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read truth file {path}: {exc}") from None


def checked_truth(raw: object, source: str) -> dict[str, Any]:
    """A ground truth written by hand (or by `synth`), checked, keywords as trendlake counts them.

    Needed: ``bursts``, each with ``keyword``, ``kind`` (word, phrase, hashtag, domain),
    ``onset`` and ``end`` (ISO 8601). Optional: a burst's ``authors`` (its distinct authors;
    `trendlake evaluate` counts them from the lake when absent) and ``shape``; ``decoys``
    (``keyword``, ``kind``: what must not alert); the stream's ``start`` and ``end``. Keywords
    are normalized per kind (`text.keyword_of`), so ``Spider-Man`` or ``#QuietStorm`` match.
    Anything else is refused in one line naming the item.
    """
    if not isinstance(raw, dict) or not isinstance(raw.get("bursts"), list):
        raise InputError(f"{source}: a truth file is a JSON object with a list of 'bursts'")
    decoys = raw.get("decoys") or []
    if not isinstance(decoys, list):
        raise InputError(f"{source}: 'decoys' must be a list")
    truth = dict(raw)
    truth["bursts"] = [
        _checked_item(burst, f"{source}: burst {i}", burst=True)
        for i, burst in enumerate(raw["bursts"], start=1)
    ]
    # synth's truth lists decoys without a keyword (the daily rhythm): nothing can match them.
    truth["decoys"] = [
        _checked_item(decoy, f"{source}: decoy {i}", burst=False)
        for i, decoy in enumerate(decoys, start=1)
        if not (isinstance(decoy, dict) and decoy.get("keyword") is None)
    ]
    bounds = {
        name: _time(raw[name], f"{source}: '{name}'") for name in ("start", "end") if name in raw
    }
    if len(bounds) == 2 and bounds["end"] <= bounds["start"]:
        raise InputError(f"{source}: the stream's 'end' must come after its 'start'")
    return truth


def _checked_item(item: object, where: str, *, burst: bool) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise InputError(f"{where} is not a JSON object")
    kind = item.get("kind")
    if kind not in KINDS:
        raise InputError(f"{where}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
    term = item.get("keyword")
    keyword = keyword_of(term, kind) if isinstance(term, str) else None
    if keyword is None:
        raise InputError(f"{where}: {term!r} is no {kind} keyword")
    checked = {**item, "keyword": keyword}
    if burst:
        onset = _time(item.get("onset"), f"{where}: 'onset'")
        if _time(item.get("end"), f"{where}: 'end'") <= onset:
            raise InputError(f"{where}: 'end' must come after 'onset'")
        authors = item.get("authors")
        if authors is not None and (not isinstance(authors, int) or authors < 0):
            raise InputError(f"{where}: 'authors' must be a whole number, 0 or more")
    return checked


def _time(value: object, where: str) -> datetime:
    if not isinstance(value, str):
        raise InputError(f"{where} must be an ISO 8601 time")
    try:
        return parse_iso(value)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None


def announced(alerts: Iterable[Mapping[str, Any]]) -> list[Announcement]:
    """trendlake's announcements: the `new` alert rows (rows without a status all count)."""
    return [
        (a["keyword"], a["kind"], a["window_end"])
        for a in alerts
        if a.get("status", "new") == "new"
    ]


def evaluate(
    truth: Mapping[str, Any],
    announcements: Iterable[Announcement],
    reachable: Collection[tuple[str, str]] = (),
) -> Evaluation:
    """Score announcements against the truth; a burst is named between onset and end + slack.

    `reachable` names the bursts (keyword, kind) that had at least the alert's minimum of
    distinct authors within RECALL_WITHIN of onset: a slow ramp can have fewer, and then no
    detector that demands that many authors can be on time; recall over these is reported
    apart from recall over all qualifying bursts.
    """
    by_key: dict[tuple[str, str], list[datetime]] = {}
    for keyword, kind, at in announcements:
        by_key.setdefault((keyword, kind), []).append(at)
    start, end = parse_iso(truth["start"]), parse_iso(truth["end"])
    result = Evaluation(
        bursts=len(truth["bursts"]),
        announcements=sum(len(times) for times in by_key.values()),
        hours=(end - start).total_seconds() / 3600,
    )
    burst_keys = set()
    for burst in truth["bursts"]:
        key = (burst["keyword"], burst["kind"])
        burst_keys.add(key)
        onset, finish = parse_iso(burst["onset"]), parse_iso(burst["end"])
        hits = [t for t in by_key.get(key, []) if onset <= t <= finish + MATCH_SLACK]
        result.true_announcements += len(hits)
        qualifies = burst["authors"] >= MIN_BURST_AUTHORS
        shape = str(burst.get("shape") or "step")
        result.qualifying += qualifies
        if qualifies:
            result.qualifying_shapes.append(shape)
        result.reachable += qualifies and key in reachable
        if not hits:
            result.missed.append(burst["keyword"])
            continue
        latency = min(hits) - onset
        result.detected.append(burst["keyword"])
        result.latencies_s.append(latency.total_seconds())
        on_time = qualifies and latency <= RECALL_WITHIN
        result.recalled_in_time += on_time
        if on_time:
            result.in_time_shapes.append(shape)
        result.reachable_in_time += on_time and key in reachable
    decoy_keys = {(d["keyword"], d["kind"]) for d in truth["decoys"] if d.get("keyword")}
    result.decoys = len(decoy_keys)
    result.decoys_alerted = sorted(k for k, kind in decoy_keys if (k, kind) in by_key)
    result.false_alerts = sorted(
        k for k, kind in by_key if (k, kind) not in burst_keys | decoy_keys
    )
    return result


def reachable_bursts(
    truth: Mapping[str, Any], counts: pl.DataFrame, min_authors: int
) -> set[tuple[str, str]]:
    """Bursts with >= `min_authors` distinct authors in their first RECALL_WITHIN.

    `counts` are keyword_counts rows (minute, keyword, kind, author_keys); the authors include
    the keyword's background posters, who count towards a real alert just the same.
    """
    found: set[tuple[str, str]] = set()
    for burst in truth["bursts"]:
        onset = parse_iso(burst["onset"])
        early = counts.filter(
            (pl.col("keyword") == burst["keyword"])
            & (pl.col("kind") == burst["kind"])
            & (pl.col("minute") >= onset)
            & (pl.col("minute") < onset + RECALL_WITHIN)
        )
        if early["author_keys"].explode().drop_nulls().n_unique() >= min_authors:
            found.add((burst["keyword"], burst["kind"]))
    return found


def onset_oracle(
    truth: Mapping[str, Any], counts: pl.DataFrame, threshold: float, history_minutes: int
) -> set[tuple[str, str]]:
    """Qualifying bursts an oracle that knows their onsets flags within RECALL_WITHIN.

    The ceiling of recall@3min for any detector that keeps chance alerts to the rate behind
    `threshold`. The oracle tests, each minute from a burst's onset on, the distinct
    authors since the onset (no author floor, and no other window: it knows where the burst
    starts) against the keyword's distinct authors a minute over the `history_minutes`
    before the onset (at most; the stream's start bounds it), with trendlake's surprise
    (`trendlake.surprise`), and flags the burst when a test reaches `threshold`. A real
    detector must also try the windows that start elsewhere, and so needs more.
    `counts` are keyword_counts rows (minute, keyword, kind, author_keys).
    """
    start = parse_iso(truth["start"])
    found: set[tuple[str, str]] = set()
    for burst in truth["bursts"]:
        if burst["authors"] < MIN_BURST_AUTHORS:
            continue
        key = (burst["keyword"], burst["kind"])
        onset = parse_iso(burst["onset"])
        rows = counts.filter((pl.col("keyword") == key[0]) & (pl.col("kind") == key[1]))
        since = max(start, onset - timedelta(minutes=history_minutes))
        history = int((onset - since) / MINUTE)
        before = rows.filter((pl.col("minute") >= since) & (pl.col("minute") < onset))
        rate = float(before["author_keys"].list.unique().list.len().sum()) / max(history, 1)
        for minutes in range(1, int(RECALL_WITHIN / MINUTE) + 1):
            early = rows.filter(
                (pl.col("minute") >= onset) & (pl.col("minute") < onset + minutes * MINUTE)
            )
            authors = early["author_keys"].explode().drop_nulls().n_unique()
            if surprise(authors, rate * minutes, history, minutes) >= threshold:
                found.add(key)
                break
    return found
