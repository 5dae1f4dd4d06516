"""Settings from TRENDLAKE_* environment variables (and a .env file); unset parts are off."""

from __future__ import annotations

from functools import cached_property

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of trendlake; the README's configuration table lists them all."""

    model_config = SettingsConfigDict(
        env_prefix="TRENDLAKE_", env_file=".env", extra="ignore", frozen=True
    )

    lake_uri: str = Field("./lake", description="Delta lake root: a folder or s3://bucket/prefix")
    s3_endpoint: str | None = Field(
        None, description="S3 endpoint URL (MinIO), e.g. http://minio:9000"
    )
    s3_access_key_id: SecretStr | None = Field(None, description="S3 access key id")
    s3_secret_access_key: SecretStr | None = Field(None, description="S3 secret access key")
    s3_region: str = Field("us-east-1", description="S3 region")
    kafka_bootstrap: str | None = Field(None, description="Kafka bootstrap servers; unset: off")
    redis_url: SecretStr | None = Field(None, description="Redis URL; unset: off")

    window_minutes: int = Field(10, ge=1, le=240, description="sliding window length")
    recent_minutes: int = Field(
        3,
        ge=1,
        le=240,
        description="a shorter window ending at the same minute, also tested for surprise: "
        "a burst stands out there before the full window fills",
    )
    baseline_minutes: int = Field(
        180,
        ge=10,
        le=7200,
        multiple_of=10,
        description="history behind each baseline (a multiple of 10 minutes, 5 days at most)",
    )
    min_history_minutes: int = Field(3, ge=0, description="history needed before any alert")
    grace_seconds: int = Field(10, ge=0, description="wait after a minute ends before closing it")
    noise_floor: float = Field(1.0, gt=0, description="beta: noise floor of the z-score")
    z_threshold: float = Field(3.5, gt=0, description="z-score an alert needs")
    surprise_threshold: float = Field(
        6.0,
        ge=0,
        description="-log10 of the chance of a window's distinct authors given the keyword's "
        "history that an alert needs (6: one in a million); raised on a busy stream, "
        "see chance_alerts_per_hour",
    )
    chance_alerts_per_hour: float = Field(
        0.1,
        gt=0,
        description="chance alerts an hour the surprise threshold allows: a minute that "
        "scores W windows needs a surprise of at least log10(60 W / this)",
    )
    min_authors: int = Field(5, ge=1, description="distinct authors an alert needs")
    min_ratio: float = Field(2.0, ge=1, description="unique_authors / baseline an alert needs")
    flood_posts_per_minute: int = Field(
        60,
        ge=1,
        description="an account posting more than this in a minute is flooding: "
        "its posts of that minute are not counted",
    )
    flood_keyword_posts_per_minute: int = Field(
        3,
        ge=1,
        description="an account posting one keyword more than this in a minute is flooding "
        "it: its posts of that minute carrying that keyword are not counted",
    )
    cooldown_minutes: int = Field(60, ge=1, description="a keyword alerts once per cooldown")
    escalation_factor: float = Field(2.0, gt=1, description="score growth that re-announces")
    chunk_minutes: int = Field(
        60, ge=10, le=1440, description="minutes computed per step of a long run, at most"
    )
    chunk_posts: int = Field(
        150_000,
        ge=1_000,
        description="posts computed per step of a long run, at most: a busy stream's steps "
        "cover fewer minutes (1 at 250,000 posts a minute)",
    )
    batch_posts: int = Field(
        50_000,
        ge=1,
        description="ingest: posts per lake commit at most (a live stream commits every "
        "batch_seconds first; a replay commits full batches, and a commit costs more the more "
        "files the day already holds)",
    )
    batch_seconds: float = Field(15.0, gt=0, description="ingest: seconds between commits at most")
    ended_minutes: int = Field(
        30, ge=1, description="a trend ends after this long without an eligible window"
    )
    redis_prefix: str = Field("trendlake", description="prefix of every Redis key and channel")
    redis_stream_maxlen: int = Field(
        100_000, ge=1, description="approximate length cap of the Redis alert stream"
    )
    redis_ended_ttl_seconds: int = Field(
        3600, ge=1, description="how long a trend's Redis hash outlives the trend's end"
    )
    kafka_alerts_topic: str = Field("trendlake.alerts", description="Kafka topic of alerts")
    kafka_posts_topic: str = Field("bsky.posts", description="Kafka topic of posts and deletes")
    kafka_dlq_topic: str = Field("bsky.posts.dlq", description="where `land` puts bad messages")
    kafka_cursor_topic: str = Field(
        "trendlake.ingest.cursors", description="compacted topic: acknowledged source cursors"
    )
    kafka_partitions: int = Field(6, ge=1, description="partitions of topics trendlake creates")
    kafka_replication_factor: int = Field(
        1, ge=1, description="replication factor of topics trendlake creates (3 in production)"
    )
    kafka_min_insync_replicas: int = Field(
        1, ge=1, description="min.insync.replicas of topics trendlake creates (2 in production)"
    )
    kafka_compression: str = Field(
        "zstd", pattern="^(zstd|lz4|gzip|snappy|none)$", description="producer compression"
    )
    kafka_linger_ms: int = Field(100, ge=0, description="producer: wait to fill a batch (ms)")
    kafka_batch_bytes: int = Field(1048576, ge=1024, description="producer: batch size (bytes)")
    kafka_delivery_timeout_ms: int = Field(
        300000, ge=1000, description="producer: retry a record this long before failing (ms)"
    )
    kafka_lander_group: str = Field("trendlake-lander", description="consumer group of `land`")
    kafka_lander_instance_id: str | None = Field(
        None, description="land: static group member id (a restart rejoins without a rebalance)"
    )
    land_batch_rows: int = Field(20000, ge=1, description="land: rows per lake commit at most")
    land_batch_seconds: float = Field(15.0, gt=0, description="land: seconds between commits")

    @model_validator(mode="after")
    def _history_fits(self) -> Settings:
        if self.min_history_minutes > self.baseline_minutes:
            raise ValueError("min_history_minutes cannot exceed baseline_minutes")
        if self.recent_minutes > self.window_minutes:
            raise ValueError("recent_minutes cannot exceed window_minutes")
        return self

    @cached_property
    def storage_options(self) -> dict[str, str]:
        """deltalake/object_store options for an s3:// lake; empty for a local folder."""
        if not self.lake_uri.startswith("s3://"):
            return {}
        options = {"AWS_REGION": self.s3_region}
        if self.s3_endpoint:
            options["AWS_ENDPOINT_URL"] = self.s3_endpoint
            if self.s3_endpoint.startswith("http://"):
                options["AWS_ALLOW_HTTP"] = "true"
        if self.s3_access_key_id and self.s3_secret_access_key:
            options["AWS_ACCESS_KEY_ID"] = self.s3_access_key_id.get_secret_value()
            options["AWS_SECRET_ACCESS_KEY"] = self.s3_secret_access_key.get_secret_value()
        return options
