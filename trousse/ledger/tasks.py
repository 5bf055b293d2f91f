"""Background jobs of the books, dispatched with delay_on_commit.

acks_late (settings) delivers a task again when its worker dies mid-way; the
final report e-mail is marked sent (FinalReport.donors_emailed_at) under a row
lock in the same transaction, so a second run finds it done. The mail server
unreachable is retried, spaced out with jitter.
"""

from celery import shared_task

from trousse.tasks_dispatch import EMAIL_JOB_OPTIONS


@shared_task(name="trousse.ledger.tasks.final_report_email_donors", **EMAIL_JOB_OPTIONS)
def final_report_email_donors(campaign_id: int) -> int:
    from . import services

    return services.final_report_email_donors(campaign_id=campaign_id)

