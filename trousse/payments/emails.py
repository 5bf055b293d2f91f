"""E-mails to donors (no account: the address they typed). French first, through gettext."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from .models import Donation, Refund


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _donation_url(donation: Donation) -> str:
    try:
        return _absolute(reverse("donation_return", kwargs={"public_id": donation.public_id}))
    except NoReverseMatch:
        return settings.SITE_URL


def send_donation_confirmation(donation: Donation) -> None:
    with translation.override("fr"):
        context = {"donation": donation, "campaign": donation.campaign, "donation_url": _donation_url(donation)}
        subject = _("Merci pour votre don au projet « %(title)s »") % {"title": donation.campaign.title}
        body = render_to_string("payments/emails/donation_confirmation.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [donation.email])


def send_refund_notice(refund: Refund) -> None:
    donation = refund.donation
    with translation.override("fr"):
        context = {"refund": refund, "donation": donation, "campaign": donation.campaign, "donation_url": _donation_url(donation)}
        subject = _("Remboursement de votre don au projet « %(title)s »") % {"title": donation.campaign.title}
        body = render_to_string("payments/emails/refund_notice.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [donation.email])
