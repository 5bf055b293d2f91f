"""Card-testing guard: donation attempts limited per IP and per campaign (django-ratelimit).

Only attempts about to reach Stripe count: the pages and the API validate the
form first, so a family that mistypes an e-mail on the school's shared Wi-Fi
spends nothing, while a card tester, whose every try goes to Stripe, is stopped.

Checked by hand rather than by decorator: the 429 must be a clear page or JSON,
and the ratelimit middleware is not installed.
"""

import math
import re

from django.conf import settings
from django.db import transaction
from django.utils.translation import ngettext
from django_ratelimit import ALL
from django_ratelimit.core import is_ratelimited

from trousse.exceptions import ApplicationError

# Overridable in settings; defaults fit a class project: a family gives once or twice.
DEFAULT_PER_IP = "10/10m"
DEFAULT_PER_CAMPAIGN = "120/h"

# django-ratelimit's rate syntax: "10/10m" is 10 per window of 10 minutes; no unit is seconds.
_RATE = re.compile(r"\s*\d+\s*/\s*(\d*)\s*([smhd]?)\s*", re.IGNORECASE)
_PERIOD_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def rate_window_seconds(rate: str) -> int:
    """The length of a rate's window in seconds ("10/10m" -> 600)."""
    match = _RATE.fullmatch(rate)
    if match is None:
        raise ValueError(f"not a rate: {rate!r}")
    multiplier, unit = match.groups()
    return int(multiplier or 1) * _PERIOD_SECONDS[unit.lower()]


class DonationRateLimited(ApplicationError):
    """Too many attempts: a 429 that tells the donor how long to wait."""

    status_code = 429

    def __init__(self, *, wait_seconds: int):
        self.wait_seconds = wait_seconds
        minutes = max(1, math.ceil(wait_seconds / 60))
        message = ngettext(
            "Trop de tentatives de paiement en peu de temps. Réessayez dans %(minutes)s minute environ.",
            "Trop de tentatives de paiement en peu de temps. Réessayez dans %(minutes)s minutes environ.",
            minutes,
        ) % {"minutes": minutes}
        super().__init__(message)


def donation_attempt_limited(request, *, campaign_id: int) -> int:
    """Count this attempt; 0 when it is within the limits, else the seconds to wait (the window of the limit it is over)."""
    per_ip = getattr(settings, "DONATION_RATELIMIT_PER_IP", DEFAULT_PER_IP)
    per_campaign = getattr(settings, "DONATION_RATELIMIT_PER_CAMPAIGN", DEFAULT_PER_CAMPAIGN)
    # django-ratelimit's "ip" key fails without an address (gunicorn on a unix socket behind a
    # proxy that passes none): such requests share one bucket rather than answer 500.
    ip_key = "ip" if request.META.get("REMOTE_ADDR") else (lambda _group, _request: "no-address")
    by_ip = is_ratelimited(request, group="donation-ip", key=ip_key, rate=per_ip, method=ALL, increment=True)
    by_campaign = is_ratelimited(
        request, group="donation-campaign", key=lambda _group, _request: str(campaign_id), rate=per_campaign, method=ALL, increment=True
    )
    return max(rate_window_seconds(per_ip) if by_ip else 0, rate_window_seconds(per_campaign) if by_campaign else 0)


def donation_attempt_check(request, *, campaign_id: int) -> None:
    """Count an attempt that is about to reach Stripe; DonationRateLimited when it is over a limit.

    Call it after the form's validation and right before the payment is sent.
    """
    wait_seconds = donation_attempt_limited(request, campaign_id=campaign_id)
    if wait_seconds:
        raise DonationRateLimited(wait_seconds=wait_seconds)


def donation_create_counted(request, *, campaign, card_payment_method: str = "", iban: str = "", **fields):
    """The donation of a validated form, counted as an attempt: (donation, card payment method, IBAN), ready for Stripe.

    The payment details are checked before the count (a mistyped IBAN costs nothing), and
    the count is in the row's transaction: over a limit, DonationRateLimited rolls it back.
    The page's language goes with the row: the donor's e-mails are written in it.
    """
    from . import services

    with transaction.atomic():
        donation = services.donation_create(campaign=campaign, language=request.LANGUAGE_CODE, **fields)
        card_payment_method, iban = services.donation_payment_details_check(method=donation.method, card_payment_method=card_payment_method, iban=iban)
        donation_attempt_check(request, campaign_id=campaign.pk)
    return donation, card_payment_method, iban
