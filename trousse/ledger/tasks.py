"""Background jobs of the books: thin wrappers around services, dispatched with delay_on_commit."""

from celery import shared_task

from . import services


@shared_task(name="trousse.ledger.tasks.final_report_email_donors", autoretry_for=(ConnectionError, OSError), retry_backoff=True, max_retries=5)
def final_report_email_donors(campaign_id: int) -> int:
    return services.final_report_email_donors(campaign_id=campaign_id)
