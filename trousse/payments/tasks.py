"""Thin Celery tasks of the payments app, dispatched with delay_on_commit.

Every task may run more than once: acks_late leaves the message in the broker
until the task returns, so a worker killed mid-task has it delivered again, and
the retries below run it again. So each task calls a service that is
idempotent (a transition under a row lock, a refund resumable from its row,
an e-mail that checks the state it announces).

Stripe or the mail server unreachable is a reason to try later, spaced out with
jitter so that a recovering service is not hit by every worker at once.
"""

from datetime import timedelta
from smtplib import SMTPException

from celery import shared_task
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from trousse.tasks_dispatch import DispatchSafeTask, dispatch

from . import gateway, services

# Stripe (GatewayError), the network and SMTP (OSError, SMTPException): transient.
RETRY_ON = (gateway.GatewayError, OSError, SMTPException)
NETWORK_RETRIES = {
    "base": DispatchSafeTask,
    "acks_late": True,
    "autoretry_for": RETRY_ON,
    "retry_backoff": 30,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": 8,
}
# A periodic job is run again by beat anyway: retry briefly, never pile up.
PERIODIC = {"base": DispatchSafeTask, "acks_late": True, "autoretry_for": RETRY_ON, "retry_backoff": 60, "retry_jitter": True, "max_retries": 2}

# What the sweep leaves alone: too recent (its own job may still be on its way) or too old to matter.
SWEEP_SETTLE = timedelta(minutes=5)
SWEEP_DELIVERY_SETTLE = timedelta(hours=2)
SWEEP_MAX_AGE = timedelta(days=30)
SWEEP_BATCH = 500


@shared_task(name="trousse.payments.tasks.donation_confirmation_send", **NETWORK_RETRIES)
def donation_confirmation_send(donation_id: int) -> bool:
    return services.donation_confirmation_email_send(donation_id=donation_id)


@shared_task(name="trousse.payments.tasks.refund_notice_send", **NETWORK_RETRIES)
def refund_notice_send(refund_id: int) -> bool:
    return services.refund_notice_email_send(refund_id=refund_id)


@shared_task(name="trousse.payments.tasks.refund_process", **NETWORK_RETRIES)
def refund_process(refund_id: int) -> str:
    return services.refund_process(refund_id=refund_id).status


@shared_task(name="trousse.payments.tasks.campaign_refund_all", **NETWORK_RETRIES)
def campaign_refund_all(campaign_id: int) -> dict:
    return services.campaign_refund_all(campaign_id=campaign_id)


@shared_task(name="trousse.payments.tasks.campaign_end_if_optimum_reached", **NETWORK_RETRIES)
def campaign_end_if_optimum_reached(campaign_id: int) -> bool:
    return services.campaign_end_if_optimum_reached(campaign_id=campaign_id)


@shared_task(name="trousse.payments.tasks.donations_reconcile", **PERIODIC)
def donations_reconcile() -> dict:
    """Ask Stripe about open donations, then redo what a lost job left undone (both idempotent)."""
    counts = services.donations_reconcile()
    counts.update(payments_side_effects_catch_up())
    return counts


@shared_task(name="trousse.payments.tasks.payments_side_effects_sweep", **PERIODIC)
def payments_side_effects_sweep() -> dict:
    return payments_side_effects_catch_up()


def payments_side_effects_catch_up(*, now=None) -> dict[str, int]:
    """Redo the jobs whose effect can be read from the database, when it is missing.

    A job is lost when its process dies between the commit and the publish, or
    the broker was down and the in-process fallback died too. Each step calls
    the same idempotent service the job would have called, so running it while
    the job is merely late does no harm.
    """
    from trousse.campaigns.models import REFUNDING_STATUSES, Campaign, Status

    from . import tax_receipts
    from .models import Donation, DonationStatus, Refund, RefundStatus, TaxReceipt, TaxReceiptStatus

    now = now or timezone.now()
    settled, oldest = now - SWEEP_SETTLE, now - SWEEP_MAX_AGE
    counts = {
        "confirmations_sent": 0,
        "refund_notices_sent": 0,
        "receipts_issued": 0,
        "receipts_cancelled": 0,
        "receipts_delivered": 0,
        "refunds_resumed": 0,
        "campaigns_refunded": 0,
        "campaigns_ended": 0,
    }

    # Thank-you e-mails whose job was lost: as long a wait as receipts, the mail queue may be long.
    unthanked = Donation.objects.filter(
        status__in=(DonationStatus.SUCCEEDED, DonationStatus.PARTIALLY_REFUNDED),
        confirmation_sent_at__isnull=True,
        succeeded_at__lte=now - SWEEP_DELIVERY_SETTLE,
        succeeded_at__gte=oldest,
    )
    for donation_id in unthanked.values_list("pk", flat=True)[:SWEEP_BATCH]:
        dispatch(donation_confirmation_send, donation_id)
        counts["confirmations_sent"] += 1
    # The same for the notice that money is on its way back.
    untold = Refund.objects.filter(
        status=RefundStatus.SUCCEEDED, notice_sent_at__isnull=True, completed_at__lte=now - SWEEP_DELIVERY_SETTLE, completed_at__gte=oldest
    )
    for refund_id in untold.values_list("pk", flat=True)[:SWEEP_BATCH]:
        dispatch(refund_notice_send, refund_id)
        counts["refund_notices_sent"] += 1

    # Receipts of succeeded campaigns never issued (the receipts work's own safety net)...
    counts["receipts_issued"] = sum(tax_receipts.tax_receipts_issue_missing().values())
    # ...and receipts still active on a donation refunded or disputed since.
    active_receipt = TaxReceipt.donations.through.objects.filter(donation_id=OuterRef("pk"), taxreceipt__status=TaxReceiptStatus.ISSUED)
    stale = Donation.objects.filter(status__in=(DonationStatus.REFUNDED, DonationStatus.DISPUTED), updated_at__lte=settled, updated_at__gte=oldest)
    for donation_id in stale.filter(Exists(active_receipt)).values_list("pk", flat=True)[:SWEEP_BATCH]:
        counts["receipts_cancelled"] += len(tax_receipts.tax_receipt_sync(donation_id=donation_id).cancelled)

    from trousse.privacy.services import ERASED_EMAIL_SUFFIX

    from .receipt_tasks import tax_receipt_deliver

    # Delivery waits longer: at year end the queue of PDFs to render may be hours long.
    unsent = TaxReceipt.objects.filter(status=TaxReceiptStatus.ISSUED, emailed_at__isnull=True, issued_at__lte=now - SWEEP_DELIVERY_SETTLE, issued_at__gte=oldest)
    for receipt_id in unsent.exclude(donor_email__endswith=ERASED_EMAIL_SUFFIX).values_list("pk", flat=True)[:SWEEP_BATCH]:
        dispatch(tax_receipt_deliver, receipt_id)
        counts["receipts_delivered"] += 1

    for refund_id in Refund.objects.filter(status=RefundStatus.PENDING, created_at__lte=settled).values_list("pk", flat=True)[:SWEEP_BATCH]:
        services.refund_process(refund_id=refund_id)
        counts["refunds_resumed"] += 1

    # A failed, cancelled or rejected campaign whose refunds never started (the job was lost).
    # Donations with a refund row, even a failed one, are left to the AD treasurer.
    never_refunded = Donation.objects.filter(
        campaign_id=OuterRef("pk"), status__in=(DonationStatus.SUCCEEDED, DonationStatus.PARTIALLY_REFUNDED)
    ).exclude(Exists(Refund.objects.filter(donation_id=OuterRef("pk"))))
    refunding = Campaign.objects.filter(status__in=REFUNDING_STATUSES, ended_at__lte=settled).filter(Exists(never_refunded))
    for campaign_id in refunding.values_list("pk", flat=True)[:SWEEP_BATCH]:
        services.campaign_refund_all(campaign_id=campaign_id)
        counts["campaigns_refunded"] += 1

    for campaign_id in Campaign.objects.filter(status=Status.LIVE, raised_cents__gte=F("optimum_goal_cents")).values_list("pk", flat=True)[:SWEEP_BATCH]:
        counts["campaigns_ended"] += int(services.campaign_end_if_optimum_reached(campaign_id=campaign_id))
    return counts
