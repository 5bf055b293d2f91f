"""Celery tasks for tax receipts: thin wrappers around trousse.payments.tax_receipts.

`tax_receipt_sync_for_donation` is what the payments services dispatch (with
`delay_on_commit`) after every status change of a donation;
`tax_receipts_issue_for_campaign` is what campaigns dispatch, by name, when a
campaign succeeds.

Every task here is idempotent, so a message delivered twice is harmless:
- `acks_late` + `reject_on_worker_lost`: a worker killed mid-task (deploy, OOM)
  leaves its message on the broker, which hands it to another worker once the
  visibility timeout (CELERY_BROKER_TRANSPORT_OPTIONS) has passed; the rerun
  finds the receipts already committed and issues only what is missing;
- transient failures (the database or the SMTP server unreachable, a deadlock
  broken by PostgreSQL) are retried with exponential backoff and jitter; any
  other error is a bug and fails at once, with its traceback, instead of being
  retried for an hour.
"""

from smtplib import SMTPException

from celery import shared_task
from django.db import OperationalError

from . import tax_receipts

# SMTPException is an OSError already; named for the reader.
TRANSIENT_ERRORS = (OSError, SMTPException, OperationalError)

_HARDENED = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 30,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(name="trousse.payments.receipt_tasks.tax_receipt_sync_for_donation", **_HARDENED)
def tax_receipt_sync_for_donation(donation_id: int) -> dict:
    """Issue, cancel or reissue the donation's receipt as its state requires (idempotent).

    Issues nothing while the donation's campaign is live: receipts wait for its success.
    """
    result = tax_receipts.tax_receipt_sync(donation_id=donation_id)
    return {"issued": list(result.issued), "cancelled": list(result.cancelled)}


@shared_task(name="trousse.payments.receipt_tasks.tax_receipts_issue_for_campaign", **_HARDENED)
def tax_receipts_issue_for_campaign(campaign_id: int) -> list[str]:
    """The receipts of a campaign that just succeeded; resumable after a crash, safe to run twice."""
    return tax_receipts.tax_receipts_issue_for_campaign(campaign_id=campaign_id)


@shared_task(name="trousse.payments.receipt_tasks.tax_receipts_issue_missing", **_HARDENED)
def tax_receipts_issue_missing() -> dict:
    """Safety net for a lost dispatch on success: the receipts still missing, every campaign."""
    return {str(campaign_id): count for campaign_id, count in tax_receipts.tax_receipts_issue_missing().items()}


# Rendering and mailing run after the number is committed: a failure here delays a
# PDF or an e-mail but never leaves a gap in the numbering. The mail is marked sent
# only after sending, so a worker lost in between sends twice rather than never.
@shared_task(name="trousse.payments.receipt_tasks.tax_receipt_deliver", **{**_HARDENED, "max_retries": 10})
def tax_receipt_deliver(receipt_id: int) -> None:
    tax_receipts.tax_receipt_render(receipt_id=receipt_id)
    tax_receipts.tax_receipt_send(receipt_id=receipt_id)


@shared_task(name="trousse.payments.receipt_tasks.tax_receipt_notify_cancelled", **{**_HARDENED, "max_retries": 5})
def tax_receipt_notify_cancelled(receipt_id: int) -> None:
    tax_receipts.tax_receipt_send_cancellation(receipt_id=receipt_id)
