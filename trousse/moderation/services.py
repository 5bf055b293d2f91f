"""The animator's decisions: each is one campaign transition plus the review that explains it."""

from django.db import transaction
from django.utils.translation import gettext as _

from trousse.campaigns import selectors as campaign_selectors
from trousse.campaigns.models import Campaign, CampaignTransition, Status
from trousse.campaigns.services import campaign_transition
from trousse.exceptions import ApplicationError

from .models import Decision, Review, ReviewComment
from .selectors import REVIEWABLE_FIELDS


def _check_reviewer(actor, campaign: Campaign) -> None:
    if not campaign_selectors.is_campaign_reviewer(actor, campaign):
        raise ApplicationError(_("Seul·e l'animateur·rice de l'AD du projet peut le relire."), status_code=403)


def _decide(*, actor, campaign: Campaign, to_status: str, decision: str, message: str, field_comments: dict[str, str] | None = None) -> Review:
    _check_reviewer(actor, campaign)
    transition = campaign_transition(campaign=campaign, to_status=to_status, actor=actor, comment=message).last_transition
    review = Review.objects.create(campaign_id=campaign.pk, reviewer=actor, decision=decision, message=message, transition=transition)
    if field_comments:
        ReviewComment.objects.bulk_create(ReviewComment(review=review, field=field, body=body) for field, body in field_comments.items())
    return review


@transaction.atomic
def review_approve(*, actor, campaign: Campaign, comment: str = "") -> Review:
    """Approve a submitted campaign; it goes live on its start date (the scheduler moves it).

    A campaign that was live before (an edit sent it back to review) goes live again
    at once, in the same transaction: its page and its donations are back the moment
    it is approved, not at the scheduler's next run.
    """
    review = _decide(actor=actor, campaign=campaign, to_status=Status.APPROVED, decision=Decision.APPROVED, message=(comment or "").strip())
    if CampaignTransition.objects.filter(campaign_id=campaign.pk, to_status=Status.LIVE).exists():
        campaign_transition(campaign=campaign, to_status=Status.LIVE, comment=_("Validé à nouveau : la collecte reprend."))
    return review


@transaction.atomic
def review_request_changes(*, actor, campaign: Campaign, field_comments: dict[str, str], message: str = "") -> Review:
    """Send the campaign back to its teacher as a draft, with a remark per field to fix."""
    comments = {field: (body or "").strip() for field, body in (field_comments or {}).items()}
    comments = {field: body for field, body in comments.items() if body}
    unknown = sorted(set(comments) - set(REVIEWABLE_FIELDS))
    if unknown:
        raise ApplicationError(
            _("Ces champs n'existent pas : %(fields)s.") % {"fields": ", ".join(unknown)},
            field_errors={"field_comments": _("Champs inconnus : %(fields)s.") % {"fields": ", ".join(unknown)}},
        )
    message = (message or "").strip()
    if not comments and not message:
        raise ApplicationError(
            _("Dites à l'enseignant·e ce qu'il faut modifier : une remarque au moins."), field_errors={"field_comments": _("Une remarque au moins.")}
        )
    return _decide(actor=actor, campaign=campaign, to_status=Status.DRAFT, decision=Decision.CHANGES_REQUESTED, message=message, field_comments=comments)


@transaction.atomic
def review_reject(*, actor, campaign: Campaign, reason: str) -> Review:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Indiquez la raison du refus : l'enseignant·e la lira."), field_errors={"reason": _("Raison obligatoire.")})
    return _decide(actor=actor, campaign=campaign, to_status=Status.REJECTED, decision=Decision.REJECTED, message=reason)
