"""Asset checks: each wraps one trendlake.quality check over the recent processed range."""

from dagster import AssetCheckResult, asset_check

from resources import TrendlakeResource
from trendlake import quality
from trendlake.models import ALERTS, KEYWORD_COUNTS, MINUTE_STATS


def _result(outcome: quality.Outcome) -> AssetCheckResult:
    return AssetCheckResult(
        passed=outcome.passed, description=outcome.description, metadata=outcome.metadata
    )


@asset_check(asset=KEYWORD_COUNTS, description="posts >= distinct authors, per minute and window")
def counts_cover_authors(trendlake: TrendlakeResource) -> AssetCheckResult:
    return _result(quality.counts_cover_authors(trendlake.lake()))


@asset_check(asset=KEYWORD_COUNTS, description="no empty or blank keyword")
def no_empty_keyword(trendlake: TrendlakeResource) -> AssetCheckResult:
    return _result(quality.no_empty_keyword(trendlake.lake()))


@asset_check(asset=MINUTE_STATS, description="every minute up to the progress mark is computed")
def no_gap_in_processed_minutes(trendlake: TrendlakeResource) -> AssetCheckResult:
    return _result(quality.no_gap_in_processed_minutes(trendlake.lake()))


@asset_check(asset=ALERTS, description="the event-time watermark never moves back between runs")
def watermark_never_moves_back(trendlake: TrendlakeResource) -> AssetCheckResult:
    return _result(quality.watermark_never_moves_back(trendlake.lake()))


@asset_check(asset=ALERTS, description="every alert has its trend_scores row")
def alerts_refer_to_scores(trendlake: TrendlakeResource) -> AssetCheckResult:
    return _result(quality.alerts_refer_to_scores(trendlake.lake()))


TREND_CHECKS = [
    counts_cover_authors,
    no_empty_keyword,
    no_gap_in_processed_minutes,
    watermark_never_moves_back,
    alerts_refer_to_scores,
]
