"""Reads of the payments app, scoped to the actor's memberships."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet
from django.http import Http404

from trousse.accounts.selectors import actor_scope
from trousse.campaigns.models import Campaign

from .models import PAID_STATUSES, Donation, DonationStatus, donor_display_name

# Who sees a campaign's donors, and how much of them.
DONORS_FULL = "full"  # mandataire, AD staff, federation: every field, every amount, CSV export
DONORS_TEACHER = "teacher"  # the class's teacher: names and messages; anonymous donors' amounts hidden


def donation_visibility(*, actor, campaign: Campaign) -> str | None:
    """DONORS_FULL, DONORS_TEACHER, or None when the actor may not even know the donors exist."""
    scope = actor_scope(actor)
    if not scope.is_authenticated:
        return None
    ad_id = campaign.cooperative.ad_id
    if scope.is_federation_admin or scope.is_mandataire_of(campaign.cooperative_id) or scope.is_staff_of(ad_id):
        return DONORS_FULL
    if scope.is_teacher_of(campaign.cooperative_id):
        return DONORS_TEACHER
    return None


def campaign_get_for_donations(*, actor, slug: str) -> tuple[Campaign, str]:
    """The campaign and the actor's view of its donors; Http404 for anyone outside it."""
    campaign = Campaign.objects.select_related("cooperative__ad").filter(slug=slug).first()
    if campaign is None:
        raise Http404
    visibility = donation_visibility(actor=actor, campaign=campaign)
    if visibility is None:
        raise Http404
    return campaign, visibility


def donation_list_for_actor(*, actor, campaign: Campaign) -> QuerySet[Donation]:
    """Every donation that reached a payment state, for the people of the campaign's cooperative and AD."""
    if donation_visibility(actor=actor, campaign=campaign) is None:
        raise Http404
    return (
        Donation.objects.filter(campaign=campaign)
        .exclude(status__in=(DonationStatus.PENDING, DonationStatus.CANCELLED))
        .select_related("campaign")
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class PublicMessage:
    text: str
    # None when the donor asked to stay anonymous.
    author: str | None


def donation_list_public_messages(*, campaign: Campaign, limit: int = 50) -> list[PublicMessage]:
    """Messages donors chose to make public, on money that reached the campaign, newest first.

    Plain tuples, not model instances: the campaign page shows up to fifty of them.
    """
    with connection.cursor() as cursor:
        cursor.execute(_public_messages_sql(), [campaign.pk, *map(str, PAID_STATUSES), limit])
        rows = cursor.fetchall()
    return [
        PublicMessage(text=text, author=None if anonymous else donor_display_name(donor_type, company, first, last))
        for text, anonymous, donor_type, company, first, last in rows
    ]


@functools.cache
def _public_messages_sql() -> str:
    # Plain SQL, written once per process: the ORM's query building costs more than the
    # query. NOT (public_message = '') is the partial index's condition, word for word.
    quote = connection.ops.quote_name
    column = {field.name: quote(field.column) for field in Donation._meta.concrete_fields}
    statuses = ", ".join(["%s"] * len(PAID_STATUSES))
    return (
        f"SELECT {column['public_message']}, {column['is_anonymous']}, {column['donor_type']}, {column['company_name']}, {column['first_name']}, {column['last_name']} "
        f"FROM {quote(Donation._meta.db_table)} "
        f"WHERE {column['campaign']} = %s AND {column['status']} IN ({statuses}) AND NOT ({column['public_message']} = '') "
        f"ORDER BY {column['succeeded_at']} DESC, {column['id']} DESC LIMIT %s"
    )


def donation_get_public(*, public_id) -> Donation:
    """A donation by its unguessable id (the donor's return page; no account)."""
    donation = Donation.objects.select_related("campaign__cooperative__ad").filter(public_id=public_id).first()
    if donation is None:
        raise Http404
    return donation


def donation_get_for_actor(*, actor, public_id) -> Donation:
    """A donation for staff: Http404 unless the actor sees its campaign's donors in full."""
    donation = donation_get_public(public_id=public_id)
    if donation_visibility(actor=actor, campaign=donation.campaign) != DONORS_FULL:
        raise Http404
    return donation


def can_refund_campaign_donations(user, campaign: Campaign) -> bool:
    """Only the AD's treasurer (or president) refunds a donation."""
    return actor_scope(user).is_treasurer_of(campaign.cooperative.ad_id)


def can_refund_donation(user, donation: Donation) -> bool:
    return can_refund_campaign_donations(user, donation.campaign)
