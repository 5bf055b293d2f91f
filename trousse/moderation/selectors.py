"""What the animator and the teacher read about reviews: the queue, the diff, the audit trail."""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, ExpressionWrapper, F, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from trousse.accounts.selectors import actor_scope
from trousse.campaigns import selectors as campaign_selectors
from trousse.campaigns.markdown import normalise_newlines
from trousse.campaigns.models import BudgetCategory, Campaign, CampaignTransition, SchoolLevel, Status, Theme
from trousse.campaigns.services import EDITABLE_FIELDS, campaign_snapshot
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


def review_queue(*, actor) -> QuerySet[Campaign]:
    """Submitted campaigns of the animator's ADs, longest waiting first, with `waiting_since`
    and `is_resubmission` (already approved once: the diff matters)."""
    scope = actor_scope(actor)
    campaigns = Campaign.objects.filter(status=Status.SUBMITTED)
    if not scope.is_federation_admin:
        if not scope.animator_of:
            return campaigns.none()
        campaigns = campaigns.filter(cooperative__ad_id__in=scope.animator_of)
    return (
        campaigns.select_related("cooperative__ad", "teacher")
        .annotate(waiting_since=F("submitted_at"), is_resubmission=ExpressionWrapper(Q(approved_snapshot__isnull=False), output_field=BooleanField()))
        .order_by(F("submitted_at").asc(nulls_first=True), "pk")
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


def campaign_diff(*, campaign: Campaign) -> list[FieldChange]:
    """What changed since the last approval, field by field; empty for a campaign never approved."""
    before = campaign.approved_snapshot
    if not before:
        return []
    after = campaign_snapshot(campaign)
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
    """The remarks of the last request for changes, while the teacher works on them (draft) or
    until the animator decides again (submitted)."""
    if campaign.status not in (Status.DRAFT, Status.SUBMITTED):
        return {}
    review = Review.objects.filter(campaign_id=campaign.pk).order_by("-created_at", "-id").prefetch_related("comments").first()
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
    for transition in transitions:
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
                field_comments=[(comment.field, str(REVIEWABLE_FIELDS.get(comment.field, comment.field)), comment.body) for comment in review.comments.all()]
                if review
                else [],
            )
        )
    return entries
