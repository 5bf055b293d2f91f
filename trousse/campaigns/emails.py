"""E-mails the life cycle sends, after commit, through campaigns.tasks.campaign_notify_transition,
and those of a revision's review, through campaigns.tasks.campaign_notify_revision."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from trousse.accounts.models import Membership, Role

from .models import CampaignRevision, CampaignTransition, RevisionState, Status


def _absolute(url_name: str, *args) -> str:
    try:
        path = reverse(url_name, args=args)
    except NoReverseMatch:
        # The page may not be routed (e.g. a trimmed deployment): the site's home still helps.
        path = "/"
    return settings.SITE_URL.rstrip("/") + path


def _animator_emails(campaign) -> list[str]:
    return list(Membership.objects.filter(role=Role.ANIMATOR, ad_id=campaign.cooperative.ad_id, user__is_active=True).values_list("user__email", flat=True))


def _message_for(transition: CampaignTransition) -> tuple[str, str, list[str]] | None:
    """(template, subject, recipients) for the move, or None when nobody needs to hear of it."""
    campaign = transition.campaign
    teacher = [campaign.teacher.email]
    to_status, from_status = transition.to_status, transition.from_status
    title = campaign.title
    if to_status == Status.SUBMITTED:
        return "submitted", _("Un projet attend votre relecture : %(title)s") % {"title": title}, _animator_emails(campaign)
    if from_status == Status.SUBMITTED and to_status == Status.DRAFT:
        return "changes_requested", _("Des modifications sont demandées pour votre projet « %(title)s »") % {"title": title}, teacher
    subjects = {
        Status.APPROVED: _("Votre projet « %(title)s » est validé"),
        Status.REJECTED: _("Votre projet « %(title)s » n'a pas été retenu"),
        Status.LIVE: _("La collecte de votre projet « %(title)s » est ouverte"),
        Status.SUCCEEDED: _("Votre projet « %(title)s » est financé !"),
        Status.FAILED: _("La collecte de votre projet « %(title)s » n'a pas atteint son objectif"),
        Status.CANCELLED: _("Votre projet « %(title)s » est annulé"),
    }
    if to_status not in subjects:
        return None
    return str(to_status), subjects[to_status] % {"title": title}, teacher


def campaign_transition_email_send(*, transition_id: int) -> int:
    """Send the e-mail a move calls for; returns the number of messages sent."""
    transition = CampaignTransition.objects.select_related("campaign__teacher", "campaign__cooperative__ad", "actor").get(pk=transition_id)
    with translation.override(settings.LANGUAGE_CODE):
        message = _message_for(transition)
        if message is None:
            return 0
        template, subject, recipients = message
        if not recipients:
            return 0
        campaign = transition.campaign
        context = {
            "campaign": campaign,
            "transition": transition,
            "teacher": campaign.teacher,
            # A change still waiting for review that this move dropped: the teacher learns it here.
            "dropped_change": CampaignRevision.objects.filter(dropped_by=transition).exists(),
            "campaign_url": _absolute("campaign_detail", campaign.slug),
            "edit_url": _absolute("campaign_edit", campaign.slug),
            "review_url": _absolute("review_detail", campaign.slug),
            "site_url": settings.SITE_URL,
        }
        body = render_to_string(f"campaigns/email/{template}.txt", context)
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


def campaign_revision_email_send(*, revision_id: int, state: str, message: str = "") -> int:
    """Tell the animators of a change to review (state "pending"), or the teacher of the decision on it."""
    revision = CampaignRevision.objects.select_related("author", "campaign__teacher", "campaign__cooperative__ad").get(pk=revision_id)
    campaign = revision.campaign
    with translation.override(settings.LANGUAGE_CODE):
        title = campaign.title
        subjects = {
            RevisionState.PENDING: _("Une modification de projet attend votre relecture : %(title)s"),
            RevisionState.APPROVED: _("La modification de votre projet « %(title)s » est validée"),
            RevisionState.CHANGES_REQUESTED: _("Des modifications sont demandées sur la mise à jour de votre projet « %(title)s »"),
            RevisionState.REJECTED: _("La modification de votre projet « %(title)s » n'a pas été retenue"),
        }
        if state not in subjects:
            return 0
        recipients = _animator_emails(campaign) if state == RevisionState.PENDING else [campaign.teacher.email]
        if not recipients:
            return 0
        context = {
            "campaign": campaign,
            "teacher": campaign.teacher,
            # Who proposed the change (the teacher, or a federation admin acting for them).
            "author": revision.author,
            "message": message,
            "campaign_url": _absolute("campaign_detail", campaign.slug),
            "edit_url": _absolute("campaign_edit", campaign.slug),
            "review_url": _absolute("review_detail", campaign.slug),
            "site_url": settings.SITE_URL,
        }
        body = render_to_string(f"campaigns/email/revision_{state}.txt", context)
        subject = subjects[state] % {"title": title}
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
