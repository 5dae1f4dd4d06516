"""Ingest counters and gauges in a CollectorRegistry owned by trendlake (not the global one).

A registry per ingester keeps tests and several ingesters in one process independent, and lets
`--metrics-port` expose exactly these series (prometheus_client.start_http_server(registry=)).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge


@dataclass
class IngestMetrics:
    source: str
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        labels = ["source"]
        r = self.registry
        self.events = Counter(
            "trendlake_ingest_events", "frames or events received", ["source", "type"], registry=r
        )
        self.posts = Counter("trendlake_ingest_posts", "post creates decoded", labels, registry=r)
        self.deletes = Counter(
            "trendlake_ingest_deletes", "post deletes decoded", labels, registry=r
        )
        self.bytes = Counter("trendlake_ingest_bytes", "bytes received", labels, registry=r)
        self.decode_errors = Counter(
            "trendlake_ingest_decode_errors", "frames that could not be decoded", labels, registry=r
        )
        self.missing_records = Counter(
            "trendlake_ingest_missing_records",
            "post creates whose record was not in the commit's blocks",
            labels,
            registry=r,
        )
        self.reconnects = Counter(
            "trendlake_ingest_reconnects", "connection attempts after the first", labels, registry=r
        )
        self.stalls = Counter(
            "trendlake_ingest_stalls",
            "connections dropped by the receive timeout",
            labels,
            registry=r,
        )
        self.commits = Counter(
            "trendlake_ingest_commits", "batches committed by the sink", labels, registry=r
        )
        self.lag = Gauge(
            "trendlake_ingest_lag_seconds",
            "wall clock now minus the last event time",
            labels,
            registry=r,
        )
        self.position = Gauge(
            "trendlake_ingest_position", "cursor of the last event received", labels, registry=r
        )

        # Create every per-source series now, so dashboards and alerts see 0, not "no data".
        for metric in (
            self.posts,
            self.deletes,
            self.bytes,
            self.decode_errors,
            self.missing_records,
            self.reconnects,
            self.stalls,
            self.commits,
        ):
            metric.labels(self.source)

    def value(self, name: str, **labels: str) -> float:
        """A sample's current value (tests and summaries read counters through this)."""
        found = self.registry.get_sample_value(name, {"source": self.source, **labels})
        return 0.0 if found is None else found
