"""The alert publications: the alerts table projected into Redis and Kafka."""

import time

from dagster import AssetExecutionContext, MaterializeResult, asset

from assets.common import GROUP, Metadata, MinuteRangeConfig
from resources import TrendlakeResource
from trendlake.publish import publish_all


@asset(deps=["alerts"], group_name=GROUP)
def alert_publications(
    context: AssetExecutionContext, config: MinuteRangeConfig, trendlake: TrendlakeResource
) -> MaterializeResult:
    """Alerts published to Redis and Kafka: each configured sink catches up with the table."""
    # Publishing is not limited to the run's range: a sink that was down catches up here.
    # An unreachable sink is reported, never raised, so the trend computation keeps going.
    started = time.perf_counter()
    metadata: Metadata = {"range": config.span().describe()}
    results = publish_all(trendlake.lake(), trendlake.settings())
    for result in results:
        metadata[f"{result.sink}_sent"] = result.sent
        if result.version is not None:
            metadata[f"{result.sink}_alerts_version"] = result.version
        if result.error is not None:
            metadata[f"{result.sink}_error"] = result.error
            context.log.warning("%s unavailable, publishing later: %s", result.sink, result.error)
    metadata["sinks"] = ", ".join(r.sink for r in results) or "none configured"
    metadata["seconds"] = round(time.perf_counter() - started, 3)
    return MaterializeResult(metadata=metadata)
