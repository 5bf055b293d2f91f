"""What the animator and the teacher read about reviews: the queue, the diff, the audit trail."""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from trousse.accounts.selectors import actor_scope
from trousse.campaigns import selectors as campaign_selectors
from trousse.campaigns.markdown import normalise_newlines
from trousse.campaigns.models import (
    EDITABLE_FIELDS,
    OPEN_REVISION_STATES,
    REVISED_STATUSES,
    BudgetCategory,
    Campaign,
    CampaignRevision,
    CampaignTransition,
    RevisionState,
    SchoolLevel,
    Status,
    Theme,
)
from trousse.campaigns.services import campaign_revision_snapshot, campaign_snapshot
from trousse.money import format_euros

from .models import Decision, Review

# Every field an animator can comment on, in the order of the edit form.
REVIEWABLE_FIELDS: dict[str, str] = {
    **{name: Campaign._meta.get_field(name).verbose_name for name in EDITABLE_FIELDS},
    # As the teacher's form names them, not as the model does ("description (Markdown)").
    "description": gettext_lazy("présentation"),
    "budget_lines": gettext_lazy("budget"),
    "images": gettext_lazy("photos"),
}


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    before: str
    after: str


# Audit entries are moves of the campaign (from → to) or events of a revision, which moves nothing.
TRANSITION_ENTRY, REVISION_ENTRY = "transition", "revision"
_REVISION_DECISION_LABELS = {
    Decision.APPROVED: gettext_lazy("Modification validée et publiée"),
    Decision.CHANGES_REQUESTED: gettext_lazy("Modifications demandées sur la modification"),
    Decision.REJECTED: gettext_lazy("Modification refusée"),
}
# A change still waiting when the campaign left approved/live is dropped with no decision:
# the teacher reads why here, or their change seems to have vanished.
_REVISION_DROPPED_LABELS = {
    Status.SUCCEEDED: gettext_lazy("Modification abandonnée : la collecte est terminée"),
    Status.FAILED: gettext_lazy("Modification abandonnée : la collecte est terminée"),
    Status.CANCELLED: gettext_lazy("Modification abandonnée : le projet est annulé"),
}


@dataclass(frozen=True)
class AuditEntry:
    at: datetime.datetime
    actor: str
    from_status: str
    to_status: str
    from_label: str
    to_label: str
    comment: str
    decision: str = ""
    field_comments: list[tuple[str, str, str]] = field(default_factory=list)  # (field, label, remark)
    kind: str = TRANSITION_ENTRY
    label: str = ""  # what happened, for a revision's entry (no status moved)


def review_queue(*, actor) -> QuerySet[Campaign]:
    """What the animator's ADs have to review, longest waiting first: submitted campaigns and the
    pending revisions of approved or live ones (`is_revision`, `revision_version`; the campaign stays
    public meanwhile), with `waiting_since` and `is_resubmission` (already approved once: the diff matters)."""
    scope = actor_scope(actor)
    pending = CampaignRevision.objects.filter(campaign_id=OuterRef("pk"), state=RevisionState.PENDING)
    campaigns = Campaign.objects.filter(Q(status=Status.SUBMITTED) | Q(Exists(pending), status__in=REVISED_STATUSES))
    if not scope.is_federation_admin:
        if not scope.animator_of:
            return campaigns.none()
        campaigns = campaigns.filter(cooperative__ad_id__in=scope.animator_of)
    return (
        campaigns.select_related("cooperative__ad", "teacher")
        .annotate(
            revision_version=Subquery(pending.values("version")[:1]),
            waiting_since=Coalesce(Subquery(pending.values("submitted_at")[:1]), F("submitted_at")),
            is_revision=ExpressionWrapper(Q(revision_version__isnull=False), output_field=BooleanField()),
            is_resubmission=ExpressionWrapper(Q(approved_snapshot__isnull=False), output_field=BooleanField()),
        )
        .order_by(F("waiting_since").asc(nulls_first=True), "pk")
    )


def _display(name: str, value) -> str:
    if value is None:
        return ""
    if name.endswith("_cents"):
        return format_euros(value)
    if name == "theme":
        return str(Theme(value).label) if value in Theme.values else str(value)
    if name == "school_level":
        return str(SchoolLevel(value).label) if value in SchoolLevel.values else str(value)
    if name in ("start_date", "deadline"):
        return datetime.date.fromisoformat(value).strftime("%d/%m/%Y")
    if name == "budget_lines":
        return "\n".join(
            f"{line['label']} ({BudgetCategory(line['category']).label if line['category'] in BudgetCategory.values else line['category']}) : {format_euros(line['amount_cents'])}"
            for line in value
        )
    if name == "images":
        return "\n".join(image["alt_text"] for image in value)
    return str(value)


def _comparable(value):
    # A text saved with \r\n line breaks before they were normalised is the same text.
    return normalise_newlines(value) if isinstance(value, str) else value


def campaign_diff(*, campaign: Campaign, revision: CampaignRevision | None = None) -> list[FieldChange]:
    """What the animator approves, field by field, against the last approved version.

    For an approved or live campaign: its open revision (`revision`, read if not given) against
    what the public sees now. For a submitted one: the campaign against its approved snapshot,
    empty if it was never approved.
    """
    if campaign.status in REVISED_STATUSES:
        revision = revision or campaign_selectors.campaign_open_revision(campaign=campaign)
        if revision is None:
            return []
        return _changes(campaign_snapshot(campaign), campaign_revision_snapshot(campaign=campaign, revision=revision))
    if not campaign.approved_snapshot:
        return []
    return _changes(campaign.approved_snapshot, campaign_snapshot(campaign))


def _changes(before: dict, after: dict) -> list[FieldChange]:
    changes = []
    for name, label in REVIEWABLE_FIELDS.items():
        old, new = before.get(name), after.get(name)
        if name == "images":
            # Pictures are compared by identity: a new upload is a change even with the same description.
            if [image["id"] for image in old or []] == [image["id"] for image in new or []]:
                continue
        elif _comparable(old) == _comparable(new):
            continue
        changes.append(FieldChange(field=name, label=str(label), before=_display(name, old), after=_display(name, new)))
    return changes


def open_review_comments(*, campaign: Campaign) -> dict[str, str]:
    """The remarks of the last request for changes, while the teacher works on them (draft, or an
    open revision sent back) or until the animator decides again (submitted, or revision pending)."""
    if campaign.status in (Status.DRAFT, Status.SUBMITTED):
        reviews = Review.objects.filter(campaign_id=campaign.pk, revision__isnull=True)
    elif campaign.status in REVISED_STATUSES:
        reviews = Review.objects.filter(revision__campaign_id=campaign.pk, revision__state__in=OPEN_REVISION_STATES)
    else:
        return {}
    review = reviews.order_by("-created_at", "-id").prefetch_related("comments").first()
    if review is None or review.decision != Decision.CHANGES_REQUESTED:
        return {}
    comments = {comment.field: comment.body for comment in review.comments.all()}
    if review.message:
        comments.setdefault("__all__", review.message)
    return comments


def campaign_audit_trail(*, actor, campaign: Campaign) -> list[AuditEntry]:
    """Every move of the campaign (who, when, from, to, why) with the review remarks, oldest first.

    For the people working on the campaign: its cooperative, its AD, the federation.
    """
    if not campaign_selectors.can_view_campaign(actor, campaign):
        raise Http404("campaign")
    if not campaign_selectors.can_see_audit_trail(actor, campaign):
        raise PermissionDenied(_("L'historique est réservé à la coopérative et à l'AD du projet."))
    transitions = (
        CampaignTransition.objects.filter(campaign_id=campaign.pk)
        .select_related("actor")
        .prefetch_related(Prefetch("review", queryset=Review.objects.prefetch_related("comments")))
        .order_by("created_at", "id")
    )
    entries = []
    # A dropped revision names the move that dropped it (CampaignRevision.dropped_by): found here, no other query.
    transitions_by_id = {}
    for transition in transitions:
        transitions_by_id[transition.pk] = transition
        review = getattr(transition, "review", None)
        entries.append(
            AuditEntry(
                at=transition.created_at,
                actor=str(transition.actor) if transition.actor else _("La Trousse (automatique)"),
                from_status=transition.from_status,
                to_status=transition.to_status,
                from_label=str(Status(transition.from_status).label),
                to_label=str(Status(transition.to_status).label),
                comment=transition.comment,
                decision=review.decision if review else "",
                field_comments=_field_comments(review) if review else [],
            )
        )
    revisions = (
        CampaignRevision.objects.filter(campaign_id=campaign.pk)
        .select_related("author")
        .prefetch_related(Prefetch("reviews", queryset=Review.objects.select_related("reviewer").prefetch_related("comments")))
    )
    for revision in revisions:
        # Changes to the approved campaign: its status stays, so the entry says what happened instead.
        revision_entry = {"from_status": "", "to_status": "", "from_label": "", "to_label": "", "kind": REVISION_ENTRY}
        entries.append(AuditEntry(at=revision.created_at, actor=str(revision.author), comment="", label=_("Modification proposée"), **revision_entry))
        for review in revision.reviews.all():
            entries.append(
                AuditEntry(
                    at=review.created_at,
                    actor=str(review.reviewer),
                    comment=review.message,
                    decision=review.decision,
                    field_comments=_field_comments(review),
                    label=str(_REVISION_DECISION_LABELS[review.decision]),
                    **revision_entry,
                )
            )
        dropped_by = transitions_by_id.get(revision.dropped_by_id)
        if dropped_by is not None:
            # Listed after the move itself (same time, stable sort): the cause, then what it did to the change.
            entries.append(
                AuditEntry(
                    at=revision.closed_at,
                    actor=str(dropped_by.actor) if dropped_by.actor else _("La Trousse (automatique)"),
                    comment="",
                    label=str(_REVISION_DROPPED_LABELS.get(dropped_by.to_status, gettext_lazy("Modification abandonnée"))),
                    **revision_entry,
                )
            )
    return sorted(entries, key=lambda entry: entry.at)


def _field_comments(review: Review) -> list[tuple[str, str, str]]:
    return [(comment.field, str(REVIEWABLE_FIELDS.get(comment.field, comment.field)), comment.body) for comment in review.comments.all()]
