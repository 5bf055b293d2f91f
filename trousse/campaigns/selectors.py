"""Reads of campaigns, scoped to who asks; predicates saying who may do what.

Visibility (DESIGN.md): a public campaign (live or later) is known to everyone;
any other is known only to the members of its cooperative (teachers,
mandataire), the staff of its AD (animator, treasurer) and the federation.
Whoever may not know a campaign exists gets a 404; whoever knows it but may
not act on it gets a 403 (the services raise it).
"""

import datetime
import functools
import hashlib
import json
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404

from trousse.accounts.models import Cooperative, DepartmentalAssociation
from trousse.accounts.selectors import ActorScope, actor_scope

from .markdown import normalise_newlines
from .models import (
    ALLOWED_TRANSITIONS,
    BUDGET_CATEGORY_LABELS,
    EDITABLE_FIELDS,
    EDITABLE_STATUSES,
    OPEN_REVISION_STATES,
    PUBLIC_STATUSES,
    REVISED_STATUSES,
    BudgetLine,
    Campaign,
    CampaignImage,
    CampaignRevision,
    CampaignUpdate,
    RevisionState,
    Status,
)


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
    # Published pictures only: one added to a live campaign waits for the animator.
    return Prefetch("images", queryset=CampaignImage.objects.filter(published=True).order_by("position", "id")[:1], to_attr="cover_images")


def _live_campaigns(*, department: str | None, theme: str | None, level: str | None, query: str | None) -> QuerySet[Campaign]:
    """Live campaigns matching the filters, with their cooperative and AD, soonest deadline first."""
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
    return campaigns.order_by("deadline", "pk")


def campaign_list_public(*, department: str | None = None, theme: str | None = None, level: str | None = None, query: str | None = None) -> QuerySet[Campaign]:
    """Live campaigns, soonest deadline first, each with `cover_images` (a list of at most one picture)."""
    return _live_campaigns(department=department, theme=theme, level=level, query=query).prefetch_related(_cover_prefetch())


# What a card of the public listing shows: not the description, its HTML, nor the cooperative's bank details.
CARD_FIELDS = (
    "slug", "title", "summary", "theme", "school_level", "raised_cents", "minimum_goal_cents", "deadline",
    "cooperative__school_name", "cooperative__city", "cooperative__ad__number",
)  # fmt: skip


def campaign_cards_public(*, department: str | None = None, theme: str | None = None, level: str | None = None, query: str | None = None) -> QuerySet[Campaign]:
    """The public listing's cards (CARD_FIELDS), each with its cover's `cover_thumbnail` (a file name, or
    None) and `cover_alt_text`, read in the same query: a sliced prefetch costs a second one, whose
    window function the ORM takes longer to build than the database to run.
    """
    covers = CampaignImage.objects.filter(campaign_id=OuterRef("pk"), published=True).order_by("position", "id")
    return (
        _live_campaigns(department=department, theme=theme, level=level, query=query)
        .only(*CARD_FIELDS)
        .annotate(cover_thumbnail=Subquery(covers.values("thumbnail")[:1]), cover_alt_text=Subquery(covers.values("alt_text")[:1]))
    )


def _detail_queryset() -> QuerySet[Campaign]:
    # What the public page shows, no more: neither the teacher nor the news' authors are on it.
    return Campaign.objects.select_related("cooperative__ad").prefetch_related(
        "budget_lines",
        "images",
        Prefetch("updates", queryset=CampaignUpdate.objects.only("id", "campaign_id", "title", "body_html", "created_at").order_by("-created_at")),
    )


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


# --- The public campaign page, read with plain SQL ---------------------------------
# The page is built from the database on every request when nothing is cached, and the
# ORM's query building and prefetching cost ten times the queries themselves: one plain
# statement (SQL written once per process), read into small objects.


@dataclass(frozen=True)
class PublicPicture:
    large_url: str
    thumbnail_url: str
    width: int
    height: int
    alt_text: str


@dataclass(frozen=True)
class PublicBudgetLine:
    label: str
    category_label: str
    amount_cents: int


@dataclass(frozen=True)
class PublicNews:
    title: str
    body_html: str
    created_at: datetime.datetime


@dataclass(frozen=True)
class PageList:
    """Rows of another app read in the page's statement (see campaign_page_public).

    `sql` is a scalar subquery returning a JSON array (NULL for no row on PostgreSQL),
    correlated to the campaign's row; `params` are its parameters, in order.
    """

    sql: str
    params: tuple = ()


@dataclass(frozen=True)
class CampaignPage:
    """What the public page shows of a campaign.

    `campaign` holds only the columns the page shows, with its cooperative and AD
    (any other field would be loaded on access, one query each). `lists` holds the
    decoded rows of each PageList the caller asked for, by name.
    """

    campaign: Campaign
    pictures: list[PublicPicture]
    budget_lines: list[PublicBudgetLine]
    news: list[PublicNews]
    lists: dict[str, list] = field(default_factory=dict)

    @property
    def cover(self) -> PublicPicture | None:
        return self.pictures[0] if self.pictures else None

    @property
    def budget_total_cents(self) -> int:
        return sum(line.amount_cents for line in self.budget_lines)


def _in_model_order(model, names: set[str]) -> tuple[str, ...]:
    # Model.from_db takes the values in the model's field order.
    return tuple(field.attname for field in model._meta.concrete_fields if field.attname in names)


_PAGE_CAMPAIGN_FIELDS = _in_model_order(Campaign, {
    "id", "cooperative_id", "title", "slug", "summary", "description_html", "theme", "school_level", "pupils_count",
    "minimum_goal_cents", "optimum_goal_cents", "co_funding_cents", "co_funding_description", "deadline", "status",
    "raised_cents", "donors_count", "ended_at",
})  # fmt: skip
_PAGE_COOPERATIVE_FIELDS = _in_model_order(Cooperative, {"id", "ad_id", "school_name", "city"})
_PAGE_AD_FIELDS = _in_model_order(DepartmentalAssociation, {"id", "number"})
_PAGE_PICTURE_FIELDS = ("large", "thumbnail", "width", "height", "alt_text")
_PAGE_LINE_FIELDS = ("label", "category", "amount_cents")
_PAGE_NEWS_FIELDS = ("title", "body_html", "created_at")


def campaign_page_public(*, campaign_id: int, lists: dict[str, PageList] | None = None) -> CampaignPage:
    """The public page's campaign (see campaign_get_public_id); Http404 unless it is public now.

    One statement: the campaign with its cooperative and AD, and its pictures, budget
    lines and news as JSON arrays (a round trip and a plan each would cost more than
    the rows themselves), and the `lists` of other apps the page shows (the donors'
    messages: this app knows nothing of them).
    """
    lists = lists or {}
    sql, converters = _page_sql(tuple(page_list.sql for page_list in lists.values()))
    params = [param for page_list in lists.values() for param in page_list.params]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, campaign_id, *map(str, PUBLIC_STATUSES)])
        row = cursor.fetchone()
    if row is None:
        raise Http404("campaign")
    row = _converted(row, converters)
    cooperative_start = len(_PAGE_CAMPAIGN_FIELDS)
    ad_start = cooperative_start + len(_PAGE_COOPERATIVE_FIELDS)
    lists_start = ad_start + len(_PAGE_AD_FIELDS)
    campaign = Campaign.from_db(connection.alias, _PAGE_CAMPAIGN_FIELDS, row[:cooperative_start])
    campaign.cooperative = Cooperative.from_db(connection.alias, _PAGE_COOPERATIVE_FIELDS, row[cooperative_start:ad_start])
    campaign.cooperative.ad = DepartmentalAssociation.from_db(connection.alias, _PAGE_AD_FIELDS, row[ad_start:lists_start])
    pictures, lines, news, *others = (_json_rows(value) for value in row[lists_start:])
    # The storage builds the addresses, as FieldFile.url does (local disk or S3).
    storage = CampaignImage._meta.get_field("large").storage
    return CampaignPage(
        campaign=campaign,
        pictures=[
            PublicPicture(large_url=storage.url(large), thumbnail_url=storage.url(thumbnail), width=width, height=height, alt_text=alt_text)
            for large, thumbnail, width, height, alt_text in pictures
        ],
        budget_lines=[
            PublicBudgetLine(label=label, category_label=BUDGET_CATEGORY_LABELS.get(category, category), amount_cents=amount_cents)
            for label, category, amount_cents in lines
        ],
        news=[PublicNews(title=title, body_html=body_html, created_at=_json_datetime(created_at)) for title, body_html, created_at in news],
        lists=dict(zip(lists, others, strict=True)),
    )


def _json_rows(value) -> list:
    # psycopg decodes json itself; SQLite hands back the text (and NULL for no row on PostgreSQL).
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str) else value


def _json_datetime(text: str) -> datetime.datetime:
    # PostgreSQL writes the offset (the connection's time zone is UTC); SQLite stores naive UTC.
    value = datetime.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)


def _converted(row: tuple, converters: dict) -> tuple:
    """The row as the ORM would read it, its converters applied (SQLite returns dates as text)."""
    if not converters:
        return row
    values = list(row)
    for index, (functions, column) in converters.items():
        for function in functions:
            values[index] = function(values[index], column, connection)
    return tuple(values)


def _columns(model, names: tuple[str, ...]) -> list:
    """The columns (Col expressions) of `names`, for the SQL and for the converters."""
    table = model._meta.db_table
    return [model._meta.get_field(name).get_col(table) for name in names]


def _converters_for(columns: list) -> dict:
    # What the ORM's compiler applies to each column it reads: the backend's, then the field's.
    converters = {}
    for index, column in enumerate(columns):
        functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if functions:
            converters[index] = (functions, column)
    return converters


def _select_list(columns: list) -> str:
    quote = connection.ops.quote_name
    return ", ".join(f"{quote(column.alias)}.{quote(column.target.column)}" for column in columns)


@functools.cache
def _page_sql(other_lists: tuple[str, ...] = ()) -> tuple[str, dict]:
    quote = connection.ops.quote_name
    columns = _columns(Campaign, _PAGE_CAMPAIGN_FIELDS) + _columns(Cooperative, _PAGE_COOPERATIVE_FIELDS) + _columns(DepartmentalAssociation, _PAGE_AD_FIELDS)
    campaign, cooperative, ad = (quote(model._meta.db_table) for model in (Campaign, Cooperative, DepartmentalAssociation))
    lists = (
        # A picture of a revision the animator has not approved yet is not public.
        _json_list_sql(CampaignImage, _PAGE_PICTURE_FIELDS, ("position", "id"), published=True),
        _json_list_sql(BudgetLine, _PAGE_LINE_FIELDS, ("position", "id")),
        _json_list_sql(CampaignUpdate, _PAGE_NEWS_FIELDS, ("-created_at", "-id")),
        *other_lists,
    )
    statuses = ", ".join(["%s"] * len(PUBLIC_STATUSES))
    sql = (
        f"SELECT {_select_list(columns)}, {', '.join(lists)} FROM {campaign} "
        f"INNER JOIN {cooperative} ON {cooperative}.{quote('id')} = {campaign}.{quote(Campaign._meta.get_field('cooperative').column)} "
        f"INNER JOIN {ad} ON {ad}.{quote('id')} = {cooperative}.{quote(Cooperative._meta.get_field('ad').column)} "
        f"WHERE {campaign}.{quote('id')} = %s AND {campaign}.{quote(Campaign._meta.get_field('status').column)} IN ({statuses})"
    )
    return sql, _converters_for(columns)


def _json_list_sql(model, names: tuple[str, ...], order_by: tuple[str, ...], **flags: bool) -> str:
    """The campaign's rows of `model` as one JSON array of [names...], ordered as order_by ("-created_at": descending).

    `flags` keeps only the rows whose boolean fields have these values (published=True).
    """
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in names)
    order = ", ".join(quote(model._meta.get_field(name.lstrip("-")).column) + (" DESC" if name.startswith("-") else "") for name in order_by)
    condition = " AND ".join(
        [f"{quote(model._meta.get_field('campaign').column)} = {quote(Campaign._meta.db_table)}.{quote('id')}"]
        + [f"{'' if value else 'NOT '}{quote(model._meta.get_field(name).column)}" for name, value in flags.items()]
    )
    if connection.vendor == "postgresql":
        return f"(SELECT json_agg(json_build_array({columns}) ORDER BY {order}) FROM {table} WHERE {condition})"
    # SQLite before 3.44 takes no ORDER BY inside an aggregate: it aggregates a sorted subquery, in order.
    return f"(SELECT json_group_array(json_array({columns})) FROM (SELECT {columns} FROM {table} WHERE {condition} ORDER BY {order}))"


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


def can_review_campaign(user, campaign: Campaign, *, revision_state: str | None = None) -> bool:
    """A submitted campaign, or an approved or live one whose open revision (its state given) is pending."""
    if not is_campaign_reviewer(user, campaign):
        return False
    return campaign.status == Status.SUBMITTED or (campaign.status in REVISED_STATUSES and revision_state == RevisionState.PENDING)


def campaign_open_revision(*, campaign: Campaign) -> CampaignRevision | None:
    """The change to the approved campaign that its teacher or animator still works on, if any."""
    return CampaignRevision.objects.filter(campaign_id=campaign.pk, state__in=OPEN_REVISION_STATES).select_related("author").first()


def revision_values(revision: CampaignRevision) -> dict:
    """The proposed fields as the campaign holds them (dates as dates)."""
    values = dict(revision.values)
    for name in ("start_date", "deadline"):
        values[name] = datetime.date.fromisoformat(values[name])
    return values


def campaign_edit_values(*, campaign: Campaign, revision: CampaignRevision | None) -> tuple[dict, list[dict]]:
    """What the teacher's edit form starts from: their pending proposal if any, else the campaign.
    (fields, budget lines as {"label", "category", "amount_cents"})."""
    if revision is not None:
        return revision_values(revision), list(revision.budget_lines)
    lines = [{"label": line.label, "category": line.category, "amount_cents": line.amount_cents} for line in campaign.budget_lines.all()]
    return {name: getattr(campaign, name) for name in EDITABLE_FIELDS}, lines


def edit_comparable(value):
    """An edited value as campaign_update compares it: text with line breaks normalised and trimmed, dates as ISO text."""
    if value is None:
        return ""  # co_funding_description: campaign_update holds None and "" the same
    if isinstance(value, str):
        return normalise_newlines(value).strip()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def campaign_edit_digest(values: dict, lines: list) -> str:
    """A short fingerprint of the version an edit starts from (values and budget lines as
    campaign_edit_values gives them, or as campaign_update compares them): the edit form and
    the API send it back, and campaign_update refuses an edit made from an older version, which
    would otherwise silently undo a newer change (two tabs, the API, a colleague).

    Only what the teacher writes: never `updated_at` or `raised_cents`, which every donation
    moves (a live campaign would conflict all day). Text as campaign_update saves it (line
    breaks normalised, trimmed), dates as ISO text: the form's values, the revision's JSON and
    the service's cleaned values of one version give one digest.
    """
    content = {
        "values": {name: edit_comparable(values.get(name)) for name in EDITABLE_FIELDS},
        "lines": [[edit_comparable(line["label"]), line["category"], line["amount_cents"]] for line in lines],
    }
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def campaign_edited_from(*, campaign: Campaign) -> str:
    """The digest of what an edit of `campaign` starts from now: its open revision once approved or live, else the campaign."""
    revision = campaign_open_revision(campaign=campaign) if campaign.status in REVISED_STATUSES else None
    values, lines = campaign_edit_values(campaign=campaign, revision=revision)
    return campaign_edit_digest(values, lines)


def can_post_news(user, campaign: Campaign) -> bool:
    return is_campaign_teacher(user, campaign) and campaign.status in PUBLIC_STATUSES


def can_see_audit_trail(user, campaign: Campaign) -> bool:
    return is_campaign_insider(user, campaign)
