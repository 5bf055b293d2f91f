"""Celery tasks for tax receipts: thin wrappers around trousse.payments.tax_receipts.

`tax_receipt_sync_for_donation` is what the payments services dispatch (with
`delay_on_commit`) after every status change of a donation.
"""

from celery import shared_task

from . import tax_receipts


@shared_task(name="trousse.payments.receipt_tasks.tax_receipt_sync_for_donation", acks_late=True)
def tax_receipt_sync_for_donation(donation_id: int) -> dict:
    """Issue, cancel or reissue the donation's receipt as its state requires (idempotent)."""
    result = tax_receipts.tax_receipt_sync(donation_id=donation_id)
    return {"issued": list(result.issued), "cancelled": list(result.cancelled)}


# Rendering and mailing are retried with backoff: they run after the number is
# committed, so a failure here delays a PDF but never leaves a gap in the numbering.
@shared_task(
    name="trousse.payments.receipt_tasks.tax_receipt_deliver",
    autoretry_for=(Exception,),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=10,
    acks_late=True,
)
def tax_receipt_deliver(receipt_id: int) -> None:
    tax_receipts.tax_receipt_render(receipt_id=receipt_id)
    tax_receipts.tax_receipt_send(receipt_id=receipt_id)


@shared_task(
    name="trousse.payments.receipt_tasks.tax_receipt_notify_cancelled",
    autoretry_for=(Exception,),
    retry_backoff=60,
    max_retries=5,
)
def tax_receipt_notify_cancelled(receipt_id: int) -> None:
    tax_receipts.tax_receipt_send_cancellation(receipt_id=receipt_id)
