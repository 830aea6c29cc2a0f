"""Imports confirmed in the wizard (and big API uploads) run in the background; the page polls."""

from __future__ import annotations

from django.core.cache import cache
from django_tasks import task

from salesflow.core.errors import DomainError, user_message
from salesflow.imports.models import ImportJob
from salesflow.org.models import User


def progress_key(job_id: int) -> str:
    """Where a running job's (done, total) is kept: the cache, because the import's own
    transaction hides its rows from other connections until it commits."""
    return f"import-progress:{job_id}"


@task()
def run_import_job(job_id: int, user_id: int, skip_bad_rows: bool) -> dict[str, int]:
    """Run a confirmed import; counts, problems and skipped rows land on the job.

    A refusal (e.g. the workbook is over the pack's row bound) fails the job with its message,
    so nothing is left "running" for ever.
    """
    from salesflow.imports import services

    job = ImportJob.objects.get(pk=job_id)
    actor = User.objects.get(pk=user_id)

    def report(done: int, total: int) -> None:
        cache.set(progress_key(job_id), (done, total), timeout=3600)

    try:
        result = services.import_job_run(job=job, skip_bad_rows=skip_bad_rows, actor=actor, progress=report)
    except DomainError as exc:
        services.import_job_fail(job=job, reason=user_message(exc), actor=actor)
        return {"created": 0, "skipped": 0}
    finally:
        cache.delete(progress_key(job_id))
    return {"created": result.created, "skipped": result.skipped}
