"""Compare alerts with a synthetic stream's ground truth (FILE.truth.json)."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from trendlake.errors import InputError
from trendlake.timeutil import parse_iso


@dataclass
class Evaluation:
    bursts: int = 0
    detected: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    latencies_s: list[float] = field(default_factory=list)
    decoys_alerted: list[str] = field(default_factory=list)
    decoys: int = 0
    false_alerts: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return len(self.detected) / self.bursts if self.bursts else 1.0

    @property
    def median_latency_s(self) -> float | None:
        return statistics.median(self.latencies_s) if self.latencies_s else None

    def summary(self) -> str:
        latency = self.median_latency_s
        lat = f", median latency {latency / 60:.1f} min" if latency is not None else ""
        return (
            f"{len(self.detected)}/{self.bursts} injected bursts alerted{lat}; "
            f"{len(self.decoys_alerted)}/{self.decoys} decoys alerted; "
            f"{len(self.false_alerts)} other keywords alerted"
        )


def load_truth(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read truth file {path}: {exc}") from None


def evaluate(
    truth: dict[str, Any], alerts: list[dict[str, Any]], slack: timedelta = timedelta(minutes=10)
) -> Evaluation:
    """A burst is detected by its keyword's first alert between onset and end + slack."""
    result = Evaluation(bursts=len(truth["bursts"]))
    firsts: dict[tuple[str, str], datetime] = {}
    for alert in alerts:
        key = (alert["keyword"], alert["kind"])
        end = alert["window_end"]
        if key not in firsts or end < firsts[key]:
            firsts[key] = end
    burst_keys = set()
    for burst in truth["bursts"]:
        key = (burst["keyword"], burst["kind"])
        burst_keys.add(key)
        onset, end = parse_iso(burst["onset"]), parse_iso(burst["end"])
        first = firsts.get(key)
        if first is not None and onset <= first <= end + slack:
            result.detected.append(burst["keyword"])
            result.latencies_s.append((first - onset).total_seconds())
        else:
            result.missed.append(burst["keyword"])
    decoy_keys = {(d["keyword"], d["kind"]) for d in truth["decoys"] if d.get("keyword")}
    result.decoys = len(decoy_keys)
    result.decoys_alerted = sorted(k for k, _ in decoy_keys if (k, _) in firsts)
    result.false_alerts = sorted(
        k for k, kind in firsts if (k, kind) not in burst_keys | decoy_keys
    )
    return result
