"""Reads of the privacy app: a donor's data by address, the staff access log by scope."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db.models import Max, QuerySet
from django.urls import reverse
from django.utils import timezone

from trousse.accounts.models import DepartmentalAssociation
from trousse.accounts.selectors import actor_scope
from trousse.campaigns.models import Campaign
from trousse.payments.models import Donation

from .models import PersonalDataAccess, PictureRetention
# can_set_picture_retention lives with its service (no import cycle); pages read it from here.
from .services import (  # noqa: F401
    IN_FLIGHT_STATUSES,
    PICTURE_PURGE_STATUSES,
    can_set_picture_retention,
    donor_receipts,
    normalise_email,
    picture_retention_days,
)


def donor_donations(*, email: str) -> QuerySet[Donation]:
    email = normalise_email(email)
    return Donation.objects.filter(email__iexact=email).select_related("campaign__cooperative__ad").order_by("created_at", "pk")


def _iso(moment: datetime.datetime | datetime.date | None) -> str | None:
    return moment.isoformat() if moment else None


def donor_data_export(*, email: str) -> dict[str, Any]:
    """Everything we hold about an address, as the donor downloads it (RGPD art. 15 and 20).

    Four queries whatever the number of donations.
    """
    email = normalise_email(email)
    site = settings.SITE_URL.rstrip("/")
    donations = []
    for donation in donor_donations(email=email):
        campaign = donation.campaign
        donations.append(
            {
                "reference": str(donation.public_id),
                "campaign": {
                    "title": campaign.title,
                    "url": site + reverse("campaign_detail", kwargs={"slug": campaign.slug}),
                    "recipient": str(campaign.cooperative.ad),
                },
                "created_at": _iso(donation.created_at),
                "paid_at": _iso(donation.succeeded_at),
                "amount_cents": donation.amount_cents,
                "refunded_cents": donation.refunded_cents,
                "currency": "EUR",
                "status": donation.status,
                "status_label": str(donation.get_status_display()),
                "payment_method": donation.method,
                "donor_type": donation.donor_type,
                "first_name": donation.first_name,
                "last_name": donation.last_name,
                "company_name": donation.company_name,
                "siret": donation.siret,
                "email": donation.email,
                "address": {"line": donation.address_line, "postal_code": donation.postal_code, "city": donation.city, "country": donation.country},
                "public_message": donation.public_message,
                "is_anonymous": donation.is_anonymous,
                "wants_tax_receipt": donation.wants_tax_receipt,
                "is_parent_of_pupil": donation.is_parent_of_pupil,
            }
        )
    receipts = [
        {
            "number": receipt.number,
            "status": receipt.status,
            "issued_by": str(receipt.ad),
            "year": receipt.year,
            "is_annual": receipt.is_annual,
            "form": receipt.form,
            "amount_cents": receipt.amount_cents,
            "currency": "EUR",
            "gift_date": _iso(receipt.gift_date),
            "issued_at": _iso(receipt.issued_at),
            "cancelled_at": _iso(receipt.cancelled_at),
            "donor_name": receipt.donor_name,
            "company_name": receipt.company_name,
            "siret": receipt.siret,
            "donor_address": receipt.donor_address,
            "donor_email": receipt.donor_email,
        }
        for receipt in donor_receipts(email=email)
    ]
    # Who read it (RGPD art. 15.1.c: the recipients): the organisation and the reason, not the person.
    accesses = [
        {"date": _iso(access.created_at), "organisation": str(access.ad) if access.ad else "Fédération OCCE", "purpose": str(access.get_purpose_display())}
        for access in PersonalDataAccess.objects.filter(subject_email__iexact=email).select_related("ad").order_by("-created_at")[:500]
    ]
    return {
        "email": email,
        "generated_at": timezone.now().isoformat(),
        "controller": "La Trousse – OCCE",
        "donations": donations,
        "tax_receipts": receipts,
        "staff_accesses": accesses,
    }


def donor_erasure_blocked(*, email: str) -> bool:
    """True while a payment is in flight for the address (the erasure service refuses then)."""
    return donor_donations(email=email).filter(status__in=IN_FLIGHT_STATUSES).exists()


# --- the access log --------------------------------------------------------------------------


def can_read_access_log(user) -> bool:
    """Federation admins, and AD treasurers/presidents for their AD."""
    scope = actor_scope(user)
    return scope.is_federation_admin or bool(scope.treasurer_of)


def access_log_ads(*, actor) -> QuerySet[DepartmentalAssociation]:
    scope = actor_scope(actor)
    if scope.is_federation_admin:
        return DepartmentalAssociation.objects.order_by("number")
    return DepartmentalAssociation.objects.filter(pk__in=scope.treasurer_of).order_by("number")


def personal_data_access_list_for_actor(*, actor, ad: DepartmentalAssociation | None = None) -> QuerySet[PersonalDataAccess]:
    """The access log the actor may read: all of it for the federation, their ADs' for treasurers.

    Empty for anyone else (the views answer 404 before asking).
    """
    scope = actor_scope(actor)
    rows = PersonalDataAccess.objects.select_related("actor", "campaign", "ad", "donation").order_by("-created_at", "-id")
    if not scope.is_federation_admin:
        rows = rows.filter(ad_id__in=scope.treasurer_of)
    if ad is not None:
        rows = rows.filter(ad=ad)
    return rows


# --- pupils' pictures ------------------------------------------------------------------------


def picture_retention_for(*, campaign: Campaign) -> PictureRetention | None:
    return PictureRetention.objects.filter(campaign=campaign).select_related("confirmed_by").first()


def campaign_pictures_deleted_after(*, campaign: Campaign) -> datetime.datetime | None:
    """When the retention job may delete the campaign's pictures (None while the project is not over for good)."""
    if campaign.status not in PICTURE_PURGE_STATUSES:
        return None
    reached = campaign.transitions.filter(to_status=campaign.status).aggregate(moment=Max("created_at"))["moment"] or campaign.ended_at
    if reached is None:
        return None
    return reached + datetime.timedelta(days=picture_retention_days())
