"""The lake maintenance job: compaction, checkpoints, vacuum and log cleanup of every table."""

from collections.abc import Iterator

from dagster import AssetObservation, OpExecutionContext, job, op

from resources import TrendlakeResource
from trendlake.maintenance import maintain_lake


@op(
    description="Compact closed partitions, checkpoint, vacuum (7-day retention), clean the log.",
    out={},  # it reports observations only
)
def maintain_tables(
    context: OpExecutionContext, trendlake: TrendlakeResource
) -> Iterator[AssetObservation]:
    for report in maintain_lake(trendlake.lake()):
        context.log.info(
            "%s: %s -> %s files, %s vacuumed, %.1fs",
            report.table,
            report.files_before,
            report.files_after,
            report.vacuumed_files,
            report.seconds,
        )
        yield AssetObservation(
            asset_key=report.table,
            metadata={
                "files_before": report.files_before,
                "files_after": report.files_after,
                "files_compacted": report.compacted_files,
                "files_vacuumed": report.vacuumed_files,
                "delta_version": report.version,
                "seconds": round(report.seconds, 2),
            },
        )


@job(description="Delta maintenance for every trendlake table.")
def lake_maintenance() -> None:
    maintain_tables()
