"""Thin Celery tasks of the privacy app, and its entry in the beat schedule."""

from celery import shared_task

RETENTION_TASK = "trousse.privacy.tasks.privacy_retention_run"

@shared_task(name="trousse.privacy.tasks.donor_data_link_send", acks_late=True, autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def donor_data_link_send(email: str, language: str | None = None) -> bool:
    from .services import donor_data_link_send as send

    return send(email=email, language=language)


@shared_task(name=RETENTION_TASK, acks_late=True)
def privacy_retention_run() -> dict[str, int]:
    from .services import privacy_retention_run as run

    return run()
