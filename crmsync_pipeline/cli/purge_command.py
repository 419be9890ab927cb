"""`crmsync purge`: drop audit and per-run rows past the retention period (personal data kept no longer
than needed). Every sync also purges past CRMSYNC_AUDIT_RETENTION_DAYS (default 365)."""

from __future__ import annotations

import click

from crmsync_pipeline.orchestration.resources import CrmsyncResource, default_mapping_path
from crmsync_pipeline.state import db
from crmsync_pipeline.state.retention import RETENTION_ENV, purge_older_than, retention_days


@click.command()
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(min=1),
    default=None,
    help=f"days to keep (default: {RETENTION_ENV}, else 365); runs older than this can no longer be undone",
)
def purge(days: int | None) -> None:
    """Delete audit log, plan, write-result, value-issue and settled-conflict rows past the retention period."""
    try:
        keep = days or retention_days()
    except ValueError as err:
        raise click.UsageError(str(err)) from None
    resource = CrmsyncResource(mapping_file=default_mapping_path())
    with db.connect(resource.state_path) as con:
        report = purge_older_than(con, keep)
    click.echo(
        f"kept the last {keep} days (since {report.cutoff:%Y-%m-%d %H:%M} UTC); deleted {report.total} rows"
    )
    for table, count in report.deleted.items():
        click.echo(f"  {table}: {count}")
