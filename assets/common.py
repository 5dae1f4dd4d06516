"""What every trend asset shares: its group and its run config, a range of closed minutes."""

from dagster import Config

from trendlake.pipeline import MinuteRange
from trendlake.timeutil import parse_iso

GROUP = "trends"
# What the assets attach to a materialization: plain values the UI shows as they are.
Metadata = dict[str, str | int | float]


class MinuteRangeConfig(Config):
    """Closed minutes [start, end) to compute, as ISO 8601 UTC times."""

    start: str
    end: str
    posts_version: int = -1  # posts table version the range was planned on (-1: a manual rerun)

    def span(self) -> MinuteRange:
        return MinuteRange(parse_iso(self.start), parse_iso(self.end))
