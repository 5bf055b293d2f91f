"""E-mails to donors (no account: the address they typed). French first, through gettext,
each in the language of the page the donor gave from (Donation.language).

A donor who had their data erased is never written to again: the address left
is a placeholder under .invalid, and even a late refund notice must not be
attempted (RGPD art. 17: erased means no more processing).
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from trousse.privacy.services import is_erased_email

from .models import Donation, Refund

logger = logging.getLogger(__name__)


def _may_write_to(donation: Donation) -> bool:
    if not donation.email or is_erased_email(donation.email):
        logger.info("no e-mail for donation %s: no address, or the donor had it erased", donation.pk)
        return False
    return True


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _donation_url(donation: Donation) -> str:
    try:
        return _absolute(reverse("donation_return", kwargs={"public_id": donation.public_id}))
    except NoReverseMatch:
        return settings.SITE_URL


def send_donation_confirmation(donation: Donation) -> bool:
    """Thank the donor; False (and nothing sent) when their address was erased."""
    if not _may_write_to(donation):
        return False
    with translation.override(donation.language or settings.LANGUAGE_CODE):
        context = {"donation": donation, "campaign": donation.campaign, "donation_url": _donation_url(donation)}
        subject = _("Merci pour votre don au projet « %(title)s »") % {"title": donation.campaign.title}
        body = render_to_string("payments/emails/donation_confirmation.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [donation.email])
    return True


def send_refund_notice(refund: Refund) -> bool:
    """Tell the donor their money is on its way back; False (and nothing sent) when their address was erased."""
    donation = refund.donation
    if not _may_write_to(donation):
        return False
    with translation.override(donation.language or settings.LANGUAGE_CODE):
        context = {"refund": refund, "donation": donation, "campaign": donation.campaign, "donation_url": _donation_url(donation)}
        subject = _("Remboursement de votre don au projet « %(title)s »") % {"title": donation.campaign.title}
        body = render_to_string("payments/emails/refund_notice.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [donation.email])
    return True
