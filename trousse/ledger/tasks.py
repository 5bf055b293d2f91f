"""Background jobs of the books, dispatched with delay_on_commit.

acks_late (settings) delivers a task again when its worker dies mid-way; the
final report e-mail is marked sent (FinalReport.donors_emailed_at) under a row
lock in the same transaction, so a second run finds it done. The mail server
unreachable is retried, spaced out with jitter.
"""

from smtplib import SMTPException

from celery import shared_task
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from trousse.tasks_dispatch import DispatchSafeTask


@shared_task(
    name="trousse.ledger.tasks.final_report_email_donors",
    base=DispatchSafeTask,
    acks_late=True,
    autoretry_for=(ConnectionError, OSError, SMTPException),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,
)
def final_report_email_donors(campaign_id: int) -> int:
    return final_report_email_donors_send(campaign_id=campaign_id)


def final_report_email_donors_send(*, campaign_id: int) -> int:
    """One e-mail per donor (never a shared To:), once per campaign; returns how many were sent.

    trousse.ledger.services.final_report_email_donors plus one rule: a donor who
    had their data erased (RGPD) is not written to, whatever address the row
    still holds. Kept here until the service applies it (asked of "books").
    """
    from django.conf import settings
    from django.core.mail import EmailMessage
    from django.template.loader import render_to_string
    from django.urls import NoReverseMatch, reverse

    from trousse.campaigns.models import Status
    from trousse.payments.models import PAID_STATUSES, Donation
    from trousse.privacy.services import is_erased_email

    from .models import FinalReport

    with transaction.atomic():
        report = FinalReport.objects.select_for_update().select_related("campaign").filter(campaign_id=campaign_id, donors_emailed_at__isnull=True).first()
        if report is None or report.campaign.status != Status.CLOSED:
            return 0
        addresses = Donation.objects.filter(campaign_id=campaign_id, status__in=PAID_STATUSES).values_list("email", flat=True)
        emails = sorted({address.strip().lower() for address in addresses if address and not is_erased_email(address)})
        try:
            url = settings.SITE_URL.rstrip("/") + reverse("campaign_detail", kwargs={"slug": report.campaign.slug})
        except NoReverseMatch:
            url = settings.SITE_URL
        subject = _("Le bilan du projet « %(title)s »") % {"title": report.campaign.title}
        body = render_to_string("ledger/email/final_report.txt", {"campaign": report.campaign, "report": report, "url": url})
        for email in emails:
            EmailMessage(subject=subject, body=body, to=[email]).send()
        # Marked in the same locked transaction: a crash re-sends rather than never sends.
        report.donors_emailed_at = timezone.now()
        report.save(update_fields=["donors_emailed_at"])
    return len(emails)
