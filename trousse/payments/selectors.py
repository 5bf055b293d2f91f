"""Reads of the payments app, scoped to the actor's memberships."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet
from django.http import Http404

from trousse.accounts.selectors import actor_scope
from trousse.campaigns.models import Campaign
from trousse.campaigns.selectors import PageList

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


# The campaign page shows the newest fifty.
PUBLIC_MESSAGES_LIMIT = 50


@dataclass(frozen=True)
class PublicMessage:
    text: str
    # None when the donor asked to stay anonymous.
    author: str | None


def donation_list_public_messages(*, campaign: Campaign, limit: int = PUBLIC_MESSAGES_LIMIT) -> list[PublicMessage]:
    """Messages donors chose to make public, on money that reached the campaign, newest first.

    Plain tuples, not model instances: the campaign page shows up to fifty of them.
    """
    with connection.cursor() as cursor:
        cursor.execute(_public_messages_sql(), [campaign.pk, *map(str, PAID_STATUSES), limit])
        return public_messages_from_rows(cursor.fetchall())


def donation_public_messages_page_list(*, limit: int = PUBLIC_MESSAGES_LIMIT) -> PageList:
    """The same messages, read within the public page's own statement (campaigns' campaign_page_public):
    one round trip less on every page built from the database. Its rows go to public_messages_from_rows."""
    return PageList(sql=_public_messages_json_sql(), params=(*map(str, PAID_STATUSES), limit))


def public_messages_from_rows(rows) -> list[PublicMessage]:
    return [
        PublicMessage(text=text, author=None if anonymous else donor_display_name(donor_type, company, first, last))
        for text, anonymous, donor_type, company, first, last, *_order in rows
    ]


def _public_messages_select(campaign_condition: str) -> tuple[list[str], str]:
    """The columns of a message (then the two it is ordered by) and the rest of the statement.

    NOT (public_message = '') is the partial index's condition, word for word.
    """
    quote = connection.ops.quote_name
    column = {field.name: quote(field.column) for field in Donation._meta.concrete_fields}
    statuses = ", ".join(["%s"] * len(PAID_STATUSES))
    names = ["public_message", "is_anonymous", "donor_type", "company_name", "first_name", "last_name", "succeeded_at", "id"]
    rest = (
        f"FROM {quote(Donation._meta.db_table)} "
        f"WHERE {column['campaign']} = {campaign_condition} AND {column['status']} IN ({statuses}) AND NOT ({column['public_message']} = '') "
        f"ORDER BY {column['succeeded_at']} DESC, {column['id']} DESC LIMIT %s"
    )
    return [column[name] for name in names], rest


@functools.cache
def _public_messages_sql() -> str:
    # Plain SQL, written once per process: the ORM's query building costs more than the query.
    columns, rest = _public_messages_select("%s")
    return f"SELECT {', '.join(columns[:6])} {rest}"


@functools.cache
def _public_messages_json_sql() -> str:
    """The newest messages of the page's campaign as a JSON array of rows, in order (see campaigns' PageList)."""
    quote = connection.ops.quote_name
    columns, rest = _public_messages_select(f"{quote(Campaign._meta.db_table)}.{quote('id')}")
    newest = f"SELECT {', '.join(columns)} {rest}"
    if connection.vendor == "postgresql":
        # A subquery's order does not survive aggregation: json_agg sorts again.
        return f"(SELECT json_agg(json_build_array({', '.join(columns)}) ORDER BY {columns[6]} DESC, {columns[7]} DESC) FROM ({newest}) AS newest)"
    # SQLite aggregates a sorted subquery in its order.
    return f"(SELECT json_group_array(json_array({', '.join(columns)})) FROM ({newest}))"


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
