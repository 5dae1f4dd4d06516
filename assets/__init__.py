"""The trend assets: landed posts -> per-minute counts -> window scores -> alerts.

Every computed asset takes the same run config, a range of closed minutes; the sensor (or
`trendlake process`) chooses it. Each asset replaces exactly those minutes, so rerunning any
range from the UI reproduces identical rows.
"""

import time
from collections.abc import Iterator

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    DataVersion,
    MaterializeResult,
    ObserveResult,
    SourceAsset,
    asset,
    multi_asset,
    observable_source_asset,
)

from assets.common import GROUP, Metadata, MinuteRangeConfig
from assets.publish import alert_publications
from resources import TrendlakeResource
from trendlake import pipeline
from trendlake.models import COPY_SINGLES, COPY_TEMPLATES, KEYWORD_COUNTS, MINUTE_STATS, POSTS
from trendlake.pipeline import MinuteRange
from trendlake.planner import progress_mark
from trendlake.timeutil import iso


def _metadata(result: pipeline.StepResult, span: MinuteRange, started: float) -> Metadata:
    return {
        "rows_written": result.rows,
        "minutes_covered": result.minutes,
        "range": span.describe(),
        "seconds": round(time.perf_counter() - started, 3),
    }


@observable_source_asset(
    key=AssetKey(POSTS),
    group_name=GROUP,
    description="Bluesky posts landed in the lake by the ingester.",
)
def posts(trendlake: TrendlakeResource) -> ObserveResult:
    lake = trendlake.lake()
    table = lake.table(POSTS)
    watermark = lake.watermark()
    version = -1 if table is None else table.version()
    return ObserveResult(
        data_version=DataVersion(str(version)),
        metadata={"delta_version": version, "watermark": iso(watermark) if watermark else "none"},
    )


@multi_asset(
    specs=[
        AssetSpec(
            KEYWORD_COUNTS,
            deps=[POSTS],
            group_name=GROUP,
            description="Posts and distinct authors per keyword and minute.",
        ),
        AssetSpec(
            MINUTE_STATS,
            deps=[POSTS],
            group_name=GROUP,
            description="Posts, authors and keywords per minute.",
        ),
        AssetSpec(
            COPY_TEMPLATES,
            deps=[POSTS],
            group_name=GROUP,
            description="Near-copy templates each minute formed, for the next 10 minutes' "
            "copy keys.",
        ),
        AssetSpec(
            COPY_SINGLES,
            deps=[POSTS],
            group_name=GROUP,
            description="Posts each minute's near-copy clustering left alone, for the next 2 "
            "minutes' copy keys.",
        ),
    ],
    name="minute_counts",
)
def minute_counts(
    context: AssetExecutionContext, config: MinuteRangeConfig, trendlake: TrendlakeResource
) -> Iterator[MaterializeResult]:
    started, span = time.perf_counter(), config.span()
    result = pipeline.compute_counts(trendlake.lake(), span, trendlake.settings())
    context.log.info("counted %s rows over %s", result.rows, span.describe())
    meta = _metadata(result, span, started)
    yield MaterializeResult(asset_key=KEYWORD_COUNTS, metadata=meta)
    yield MaterializeResult(asset_key=MINUTE_STATS, metadata={"minutes_covered": result.minutes})
    yield MaterializeResult(asset_key=COPY_TEMPLATES, metadata={"minutes_covered": result.minutes})
    yield MaterializeResult(asset_key=COPY_SINGLES, metadata={"minutes_covered": result.minutes})


@asset(deps=[POSTS, KEYWORD_COUNTS, MINUTE_STATS], group_name=GROUP)
def trend_scores(config: MinuteRangeConfig, trendlake: TrendlakeResource) -> MaterializeResult:
    """Sliding-window counts, distinct authors, baselines and z-scores per keyword."""
    started, span = time.perf_counter(), config.span()
    result = pipeline.compute_scores(trendlake.lake(), span, trendlake.settings())
    return MaterializeResult(metadata=_metadata(result, span, started))


@asset(deps=["trend_scores"], group_name=GROUP)
def alerts(config: MinuteRangeConfig, trendlake: TrendlakeResource) -> MaterializeResult:
    """Trend alerts: eligible windows through the new/escalating/cooling/ended lifecycle."""
    started, span = time.perf_counter(), config.span()
    lake = trendlake.lake()
    metadata = None
    if config.posts_version >= 0:  # a planned run moves the progress mark; a manual rerun does not
        metadata = progress_mark(lake, span.end, config.posts_version)
    result = pipeline.compute_alerts(lake, span, trendlake.settings(), metadata=metadata)
    meta = _metadata(result, span, started)
    meta["watermark"] = iso(w) if (w := lake.watermark()) else "none"
    return MaterializeResult(metadata=meta)


COMPUTED_ASSETS = [minute_counts, trend_scores, alerts, alert_publications]
TREND_ASSETS: list[AssetsDefinition | SourceAsset] = [posts, *COMPUTED_ASSETS]
