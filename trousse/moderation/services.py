"""The animator's decisions, each with the review that explains it.

On a submitted campaign a decision is one campaign transition. On an approved or
live campaign it is a decision on its open revision (the teacher's change): the
campaign keeps its status and stays public; the review is tied to the revision.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from trousse.campaigns import selectors as campaign_selectors
from trousse.campaigns.models import REVISED_STATUSES, Campaign, CampaignTransition, RevisionState, Status
from trousse.campaigns.services import campaign_revision_decide, campaign_transition
from trousse.exceptions import ApplicationError

from .models import Decision, Review, ReviewComment
from .selectors import REVIEWABLE_FIELDS


def _check_reviewer(actor, campaign: Campaign) -> None:
    if not campaign_selectors.is_campaign_reviewer(actor, campaign):
        raise ApplicationError(_("Seul·e l'animateur·rice de l'AD du projet peut le relire."), status_code=403)


# A decision on a submitted campaign moves it to this status.
_TO_STATUS = {Decision.APPROVED: Status.APPROVED, Decision.CHANGES_REQUESTED: Status.DRAFT, Decision.REJECTED: Status.REJECTED}
# A decision on a revision moves the revision to this state.
_TO_REVISION_STATE = {
    Decision.APPROVED: RevisionState.APPROVED,
    Decision.CHANGES_REQUESTED: RevisionState.CHANGES_REQUESTED,
    Decision.REJECTED: RevisionState.REJECTED,
}


def _decide(
    *, actor, campaign: Campaign, decision: str, message: str, field_comments: dict[str, str] | None = None, revision_version: int | None = None
) -> Review:
    _check_reviewer(actor, campaign)
    if campaign.status in REVISED_STATUSES:
        # Under the campaign's row lock, against the version the animator read (409 otherwise).
        revision = campaign_revision_decide(
            actor=actor, campaign=campaign, version=revision_version, to_state=_TO_REVISION_STATE[decision], message=message
        )
        review = Review.objects.create(campaign_id=campaign.pk, reviewer=actor, decision=decision, message=message, revision=revision)
    else:
        transition = campaign_transition(campaign=campaign, to_status=_TO_STATUS[decision], actor=actor, comment=message).last_transition
        review = Review.objects.create(campaign_id=campaign.pk, reviewer=actor, decision=decision, message=message, transition=transition)
    if field_comments:
        ReviewComment.objects.bulk_create(ReviewComment(review=review, field=field, body=body) for field, body in field_comments.items())
    return review


@transaction.atomic
def review_approve(*, actor, campaign: Campaign, comment: str = "", revision_version: int | None = None) -> Review:
    """Approve a submitted campaign (it goes live on its start date, the scheduler moves it),
    or the open revision of an approved or live one (published at once, on the same page).

    A campaign that was live before (an edit sent it back to review, before revisions
    existed) goes live again at once, in the same transaction: its page and its donations
    are back the moment it is approved, not at the scheduler's next run.
    """
    review = _decide(actor=actor, campaign=campaign, decision=Decision.APPROVED, message=(comment or "").strip(), revision_version=revision_version)
    if review.transition_id and CampaignTransition.objects.filter(campaign_id=campaign.pk, to_status=Status.LIVE).exists():
        campaign_transition(campaign=campaign, to_status=Status.LIVE, comment=_("Validé à nouveau : la collecte reprend."))
    return review


@transaction.atomic
def review_request_changes(*, actor, campaign: Campaign, field_comments: dict[str, str], message: str = "", revision_version: int | None = None) -> Review:
    """Send the campaign back to its teacher as a draft (or its revision, the campaign staying public), with a remark per field to fix."""
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
    return _decide(
        actor=actor, campaign=campaign, decision=Decision.CHANGES_REQUESTED, message=message, field_comments=comments, revision_version=revision_version
    )


@transaction.atomic
def review_reject(*, actor, campaign: Campaign, reason: str, revision_version: int | None = None) -> Review:
    """Reject a submitted campaign, or only the open revision of an approved or live one (the campaign stays public, unchanged)."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Indiquez la raison du refus : l'enseignant·e la lira."), field_errors={"reason": _("Raison obligatoire.")})
    return _decide(actor=actor, campaign=campaign, decision=Decision.REJECTED, message=reason, revision_version=revision_version)
