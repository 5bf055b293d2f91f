"""Thin Celery tasks of the privacy app (the daily purge is in CELERY_BEAT_SCHEDULE).

Both are idempotent: a link e-mail sent twice is harmless (each link is signed
and expires), and the purge only touches what is still past its retention.
The mail server unreachable is retried, spaced out with jitter.
"""

from celery import shared_task

from trousse.tasks_dispatch import EMAIL_JOB_OPTIONS, DispatchSafeTask

RETENTION_TASK = "trousse.privacy.tasks.privacy_retention_run"


@shared_task(name="trousse.privacy.tasks.donor_data_link_send", **{**EMAIL_JOB_OPTIONS, "max_retries": 5})
def donor_data_link_send(email: str, language: str | None = None) -> bool:
    from .services import donor_data_link_send as send

    return send(email=email, language=language)


@shared_task(name=RETENTION_TASK, base=DispatchSafeTask, acks_late=True, autoretry_for=(OSError,), retry_backoff=300, retry_jitter=True, max_retries=3)
def privacy_retention_run() -> dict[str, int]:
    from .services import privacy_retention_run as run

    return run()
