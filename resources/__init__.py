"""Dagster resources: the lake, built from trendlake's settings when a run starts."""

from dagster import ConfigurableResource

from trendlake.config import Settings
from trendlake.lake import Lake


class TrendlakeResource(ConfigurableResource):
    """trendlake settings (TRENDLAKE_* at run time) and the lake they point to."""

    lake_uri: str | None = None  # overrides TRENDLAKE_LAKE_URI, e.g. for tests

    def settings(self) -> Settings:
        overrides = {"lake_uri": self.lake_uri} if self.lake_uri else {}
        return Settings(**overrides)  # type: ignore[arg-type]

    def lake(self) -> Lake:
        return Lake.from_settings(self.settings())
