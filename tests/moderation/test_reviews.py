import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from tests import factories
from trousse.campaigns.models import CampaignTransition, Status
from trousse.campaigns.services import BudgetLineData, campaign_submit, campaign_update
from trousse.exceptions import ApplicationError, ConflictError
from trousse.moderation.models import Decision, Review
from trousse.moderation.selectors import campaign_audit_trail, campaign_diff, open_review_comments, review_queue
from trousse.moderation.services import review_approve, review_reject, review_request_changes

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(cooperative, teacher):
    return factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUBMITTED, submitted_at=timezone.now())


def test_queue_is_the_animators_ad_only_oldest_first(ad, other_ad, animator, teacher, cooperative):
    now = timezone.now()
    recent = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUBMITTED, submitted_at=now - datetime.timedelta(hours=1))
    oldest = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUBMITTED, submitted_at=now - datetime.timedelta(days=3))
    factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.DRAFT)
    elsewhere = factories.CampaignFactory(cooperative=factories.CooperativeFactory(ad=other_ad), status=Status.SUBMITTED, submitted_at=now - datetime.timedelta(days=9))
    queue = list(review_queue(actor=animator))
    assert queue == [oldest, recent]
    assert queue[0].waiting_since == oldest.submitted_at
    assert list(review_queue(actor=factories.animator_of(other_ad))) == [elsewhere]
    assert list(review_queue(actor=teacher)) == []
    assert len(review_queue(actor=factories.federation_admin())) == 3


def test_approve(animator, submitted, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        review = review_approve(actor=animator, campaign=submitted, comment="Beau projet")
    submitted.refresh_from_db()
    assert submitted.status == Status.APPROVED
    assert submitted.approved_snapshot["summary"] == submitted.summary
    assert (review.decision, review.reviewer, review.transition.comment) == (Decision.APPROVED, animator, "Beau projet")
    assert "est validé" in mail.outbox[0].subject


def test_request_changes_with_comments_per_field_then_resubmit(animator, teacher, submitted):
    review_request_changes(actor=animator, campaign=submitted, field_comments={"summary": "Trop court", "budget_lines": "Détaillez le car", "title": " "}, message="Presque !")
    submitted.refresh_from_db()
    assert submitted.status == Status.DRAFT
    assert open_review_comments(campaign=submitted) == {"summary": "Trop court", "budget_lines": "Détaillez le car", "__all__": "Presque !"}
    campaign_update(actor=teacher, campaign=submitted, summary="Un résumé plus complet de notre classe de mer.")
    campaign_submit(actor=teacher, campaign=submitted)
    # The animator still sees what they asked for when the campaign comes back.
    assert open_review_comments(campaign=submitted)["summary"] == "Trop court"
    review_approve(actor=animator, campaign=submitted)
    assert open_review_comments(campaign=submitted) == {}


def test_request_changes_needs_a_remark_on_a_real_field(animator, submitted):
    with pytest.raises(ApplicationError) as error:
        review_request_changes(actor=animator, campaign=submitted, field_comments={"title": ""})
    assert "field_comments" in error.value.field_errors
    with pytest.raises(ApplicationError) as error:
        review_request_changes(actor=animator, campaign=submitted, field_comments={"password": "x"})
    assert "password" in error.value.message
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    assert not Review.objects.exists()


def test_reject_needs_a_reason(animator, submitted):
    with pytest.raises(ApplicationError):
        review_reject(actor=animator, campaign=submitted, reason="")
    review_reject(actor=animator, campaign=submitted, reason="Projet commercial")
    submitted.refresh_from_db()
    assert submitted.status == Status.REJECTED


def test_only_the_ads_animator_decides(submitted, teacher, treasurer, other_ad):
    for actor in (teacher, treasurer, factories.animator_of(other_ad)):
        with pytest.raises(ApplicationError) as error:
            review_approve(actor=actor, campaign=submitted)
        assert error.value.status_code == 403
    assert not CampaignTransition.objects.exists()


def test_second_decision_on_the_same_campaign_is_a_conflict(animator, submitted):
    review_approve(actor=animator, campaign=submitted)
    stale = type(submitted).objects.get(pk=submitted.pk)
    stale.status = Status.SUBMITTED  # what a second browser tab still believes
    with pytest.raises(ConflictError):
        review_reject(actor=animator, campaign=stale, reason="Trop tard")
    assert Review.objects.count() == 1


def test_diff_against_the_last_approved_version(animator, teacher, submitted):
    review_approve(actor=animator, campaign=submitted)
    assert campaign_diff(campaign=submitted) == []
    campaign_update(
        actor=teacher,
        campaign=submitted,
        title="Classe de mer, version longue",
        optimum_goal_cents=160_000,
        budget_lines=[BudgetLineData("Transport en car", "transport", 70_000), BudgetLineData("Hébergement", "accommodation", 110_000)],
    )
    # The campaign stays approved: the diff is its pending revision against the approved version.
    assert submitted.status == Status.APPROVED
    changes = {change.field: change for change in campaign_diff(campaign=submitted)}
    assert set(changes) == {"title", "optimum_goal_cents", "budget_lines"}
    assert changes["title"].after == "Classe de mer, version longue"
    assert changes["optimum_goal_cents"].before == "1\u202f500\u00a0€"
    assert changes["optimum_goal_cents"].after == "1\u202f600\u00a0€"
    assert "700\u00a0€" in changes["budget_lines"].after and "600\u00a0€" in changes["budget_lines"].before


def test_audit_trail_shows_who_when_what_why(animator, teacher, cooperative, other_ad):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher)
    campaign_submit(actor=teacher, campaign=campaign)
    review_request_changes(actor=animator, campaign=campaign, field_comments={"summary": "Précisez l'âge des élèves"})
    campaign_submit(actor=teacher, campaign=campaign)
    review_approve(actor=animator, campaign=campaign, comment="Merci")
    for viewer in (teacher, animator, factories.mandataire_of(cooperative)):
        trail = campaign_audit_trail(actor=viewer, campaign=campaign)
        assert [(entry.from_status, entry.to_status) for entry in trail] == [
            ("draft", "submitted"),
            ("submitted", "draft"),
            ("draft", "submitted"),
            ("submitted", "approved"),
        ]
    assert trail[1].actor == str(animator)
    assert trail[1].decision == Decision.CHANGES_REQUESTED
    assert trail[1].field_comments == [("summary", "résumé", "Précisez l'âge des élèves")]
    assert trail[3].comment == "Merci"
    with pytest.raises(Http404):
        campaign_audit_trail(actor=factories.animator_of(other_ad), campaign=campaign)
    campaign.status = Status.LIVE
    with pytest.raises(PermissionDenied):
        campaign_audit_trail(actor=factories.animator_of(other_ad), campaign=campaign)
