"""Reads of campaigns, scoped to who asks; predicates saying who may do what.

Visibility (DESIGN.md): a public campaign (live or later) is known to everyone;
any other is known only to the members of its cooperative (teachers,
mandataire), the staff of its AD (animator, treasurer) and the federation.
Whoever may not know a campaign exists gets a 404; whoever knows it but may
not act on it gets a 403 (the services raise it).
"""

import functools
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from trousse.accounts.selectors import ActorScope, actor_scope

from .models import ALLOWED_TRANSITIONS, EDITABLE_STATUSES, PUBLIC_STATUSES, Campaign, CampaignImage, CampaignUpdate, Status


def _scope_filter(scope: ActorScope) -> Q | None:
    """The campaigns a scope may know beyond public ones; None means all of them."""
    if scope.is_federation_admin:
        return None
    condition = Q(pk__in=[])
    if scope.cooperatives:
        condition |= Q(cooperative_id__in=scope.cooperatives)
    if scope.staff_ads:
        condition |= Q(cooperative__ad_id__in=scope.staff_ads)
    return condition


def _cover_prefetch() -> Prefetch:
    # A sliced Prefetch: one query for the whole page, one picture per campaign.
    return Prefetch("images", queryset=CampaignImage.objects.order_by("position", "id")[:1], to_attr="cover_images")


def campaign_list_public(*, department: str | None = None, theme: str | None = None, level: str | None = None, query: str | None = None) -> QuerySet[Campaign]:
    """Live campaigns, soonest deadline first, each with `cover_images` (a list of at most one picture).

    In templates: `{% with cover=campaign.cover_images.0 %}`.
    """
    campaigns = Campaign.objects.filter(status=Status.LIVE).select_related("cooperative__ad")
    if department:
        campaigns = campaigns.filter(cooperative__ad__number=department)
    if theme:
        campaigns = campaigns.filter(theme=theme)
    if level:
        campaigns = campaigns.filter(school_level=level)
    if query:
        for word in query.split()[:8]:
            campaigns = campaigns.filter(
                Q(title__icontains=word) | Q(summary__icontains=word) | Q(cooperative__city__icontains=word) | Q(cooperative__school_name__icontains=word)
            )
    return campaigns.prefetch_related(_cover_prefetch()).order_by("deadline", "pk")


def _detail_queryset() -> QuerySet[Campaign]:
    # What the public page shows, no more: neither the teacher nor the news' authors are on it.
    return Campaign.objects.select_related("cooperative__ad").prefetch_related(
        "budget_lines",
        "images",
        Prefetch("updates", queryset=CampaignUpdate.objects.only("id", "campaign_id", "title", "body_html", "created_at").order_by("-created_at")),
    )


def campaign_get_public(*, slug: str) -> Campaign:
    """A public campaign with its budget lines, images and news; Http404 for anything else."""
    try:
        return _detail_queryset().get(slug=slug, status__in=PUBLIC_STATUSES)
    except Campaign.DoesNotExist as error:
        raise Http404("campaign") from error


# slug -> id of public campaigns, per process. A slug is set once, at creation, and a
# campaign that has been public is never deleted (its donations and ledger protect it),
# so an entry never goes wrong; whether the campaign is *still* public is the page's
# cache version's business (every status change bumps it). Only a database restored
# from a backup can reuse a slug: docs/deploy.md says to restart the web processes
# and flush the cache after a restore.
_PUBLIC_IDS: dict[str, int] = {}
_PUBLIC_IDS_MAX = 100_000


def campaign_get_public_id(*, slug: str) -> int:
    """The id of the public campaign at this slug, without a query once known; Http404 for anything else.

    The public page's cached copy is keyed by the campaign's id (its cache version),
    and must be found without touching the database (trousse/campaigns/cache.py).
    """
    campaign_id = _PUBLIC_IDS.get(slug)
    if campaign_id is not None:
        return campaign_id
    with connection.cursor() as cursor:
        cursor.execute(_public_id_sql(), [slug, *map(str, PUBLIC_STATUSES)])
        row = cursor.fetchone()
    if row is None:
        raise Http404("campaign")
    if len(_PUBLIC_IDS) >= _PUBLIC_IDS_MAX:
        _PUBLIC_IDS.clear()
    _PUBLIC_IDS[slug] = row[0]
    return row[0]


def campaign_public_ids_forget() -> None:
    """Forget the slugs seen so far (tests, whose database is rolled back between them)."""
    _PUBLIC_IDS.clear()


@functools.cache
def _public_id_sql() -> str:
    # Plain SQL: the ORM's query building costs ten times the query itself.
    quote = connection.ops.quote_name
    meta = Campaign._meta
    statuses = ", ".join(["%s"] * len(PUBLIC_STATUSES))
    return (
        f"SELECT {quote(meta.pk.column)} FROM {quote(meta.db_table)} "
        f"WHERE {quote(meta.get_field('slug').column)} = %s AND {quote(meta.get_field('status').column)} IN ({statuses})"
    )


def campaign_list_for_actor(*, actor) -> QuerySet[Campaign]:
    """The campaigns the actor works on: their cooperatives' and, for AD staff, their AD's (newest first)."""
    scope = actor_scope(actor)
    campaigns = Campaign.objects.select_related("cooperative__ad", "teacher").prefetch_related("budget_lines", _cover_prefetch())
    condition = _scope_filter(scope)
    if condition is not None:
        campaigns = campaigns.filter(condition)
    return campaigns.order_by("-created_at", "-pk")


def campaign_get_for_actor(*, actor, slug: str) -> Campaign:
    """A campaign the actor may know exists (public, or in their scope); Http404 otherwise."""
    scope = actor_scope(actor)
    condition = _scope_filter(scope)
    campaigns = _detail_queryset()
    if condition is not None:
        campaigns = campaigns.filter(condition | Q(status__in=PUBLIC_STATUSES))
    try:
        return campaigns.get(slug=slug)
    except Campaign.DoesNotExist as error:
        raise Http404("campaign") from error


# --- Predicates: rights first (is_*), then "may do it now" (can_*), which adds the state. ---


def can_view_campaign(user, campaign: Campaign) -> bool:
    if campaign.status in PUBLIC_STATUSES:
        return True
    return is_campaign_insider(user, campaign)


def is_campaign_insider(user, campaign: Campaign) -> bool:
    """Member of the campaign's cooperative, staff of its AD, or federation admin."""
    scope = actor_scope(user)
    return scope.is_federation_admin or campaign.cooperative_id in scope.cooperatives or is_ad_staff(user, campaign)


def is_ad_staff(user, campaign: Campaign) -> bool:
    return actor_scope(user).is_staff_of(campaign.cooperative.ad_id)


def is_campaign_teacher(user, campaign: Campaign) -> bool:
    """The campaign's own teacher, still a teacher of its cooperative (or the federation)."""
    scope = actor_scope(user)
    if scope.is_federation_admin:
        return True
    return scope.user_id is not None and campaign.teacher_id == scope.user_id and scope.is_teacher_of(campaign.cooperative_id)


def is_campaign_reviewer(user, campaign: Campaign) -> bool:
    """The animator of the campaign's AD (or the federation)."""
    return actor_scope(user).is_animator_of(campaign.cooperative.ad_id)


def can_set_goal_exception(user, campaign: Campaign) -> bool:
    """The AD's animator or treasurer grants goals above 5 000 €."""
    return actor_scope(user).is_staff_of(campaign.cooperative.ad_id)


def can_edit_campaign(user, campaign: Campaign) -> bool:
    return is_campaign_teacher(user, campaign) and campaign.status in EDITABLE_STATUSES


def can_submit_campaign(user, campaign: Campaign) -> bool:
    return is_campaign_teacher(user, campaign) and campaign.status == Status.DRAFT


def can_cancel_campaign(user, campaign: Campaign) -> bool:
    return is_campaign_teacher(user, campaign) and Status.CANCELLED in ALLOWED_TRANSITIONS[campaign.status]


def can_review_campaign(user, campaign: Campaign) -> bool:
    return is_campaign_reviewer(user, campaign) and campaign.status == Status.SUBMITTED


def can_post_news(user, campaign: Campaign) -> bool:
    return is_campaign_teacher(user, campaign) and campaign.status in PUBLIC_STATUSES


def can_see_audit_trail(user, campaign: Campaign) -> bool:
    return is_campaign_insider(user, campaign)
