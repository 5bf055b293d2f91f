import datetime

import pytest
from django.core import mail
from django.utils import timezone

from tests import factories
from trousse.campaigns import services
from trousse.campaigns.cache import public_cache_get, public_cache_set
from trousse.campaigns.models import ALLOWED_TRANSITIONS, Campaign, CampaignTransition, Status
from trousse.campaigns.services import campaign_cancel, campaign_end, campaign_submit, campaign_transition
from trousse.exceptions import ApplicationError, ConflictError

pytestmark = pytest.mark.django_db


@pytest.fixture
def refunds(monkeypatch):
    calls = []
    monkeypatch.setattr(services, "_dispatch_by_name", lambda name, *args: calls.append((name, *args)))
    return calls


def test_every_move_outside_the_table_is_refused(campaign):
    for from_status in Status.values:
        for to_status in set(Status.values) - ALLOWED_TRANSITIONS[from_status]:
            Campaign.objects.filter(pk=campaign.pk).update(status=from_status)
            with pytest.raises(ConflictError):
                campaign_transition(campaign=campaign, to_status=to_status)
    assert not CampaignTransition.objects.exists()


@pytest.mark.parametrize("status", [Status.APPROVED, Status.LIVE])
def test_an_approved_or_live_campaign_never_goes_back_to_review(teacher, cooperative, status):
    """Its edits wait in a revision: the campaign itself stays public."""
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=status)
    with pytest.raises(ConflictError):
        campaign_transition(campaign=campaign, to_status=Status.SUBMITTED, actor=teacher)
    campaign.refresh_from_db()
    assert campaign.status == status


def test_submit_writes_history_and_waiting_time(teacher, campaign, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        campaign_submit(actor=teacher, campaign=campaign)
    assert campaign.status == Status.SUBMITTED
    assert campaign.submitted_at is not None
    transition = CampaignTransition.objects.get()
    assert (transition.actor, transition.from_status, transition.to_status) == (teacher, Status.DRAFT, Status.SUBMITTED)


def test_submit_is_the_teachers_alone(campaign, cooperative, animator, mandataire):
    for actor in (factories.teacher_of(cooperative), animator, mandataire):
        with pytest.raises(ApplicationError) as error:
            campaign_submit(actor=actor, campaign=campaign)
        assert error.value.status_code == 403
    campaign.refresh_from_db()
    assert campaign.status == Status.DRAFT


def test_submit_checks_the_rules_again(teacher, campaign):
    # Rules may break after the fact (e.g. a budget line removed in the admin).
    campaign.budget_lines.all().delete()
    with pytest.raises(ApplicationError) as error:
        campaign_submit(actor=teacher, campaign=campaign)
    assert "budget_lines" in error.value.field_errors


def test_submit_after_the_deadline_is_refused(teacher, cooperative):
    past = timezone.localdate() - datetime.timedelta(days=50)
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, start_date=past, deadline=past + datetime.timedelta(days=20))
    with pytest.raises(ApplicationError) as error:
        campaign_submit(actor=teacher, campaign=campaign)
    assert "deadline" in error.value.field_errors


def test_approval_by_the_animator_snapshots_the_public_content(animator, cooperative, teacher):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUBMITTED)
    campaign_transition(campaign=campaign, to_status=Status.APPROVED, actor=animator)
    campaign.refresh_from_db()
    assert campaign.approved_at is not None
    assert campaign.approved_snapshot["title"] == campaign.title
    assert [line["amount_cents"] for line in campaign.approved_snapshot["budget_lines"]] == [60_000, 110_000]


def test_animator_of_another_ad_may_not_approve(other_ad, cooperative, teacher):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUBMITTED)
    with pytest.raises(ApplicationError) as error:
        campaign_transition(campaign=campaign, to_status=Status.APPROVED, actor=factories.animator_of(other_ad))
    assert error.value.status_code == 403


def test_only_the_system_starts_and_ends_collections(teacher, animator, cooperative):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.APPROVED)
    for actor in (teacher, animator):
        with pytest.raises(ApplicationError):
            campaign_transition(campaign=campaign, to_status=Status.LIVE, actor=actor)
    campaign_transition(campaign=campaign, to_status=Status.LIVE)
    assert campaign.status == Status.LIVE
    assert CampaignTransition.objects.get().actor is None


def test_federation_admin_may_do_everything(cooperative, teacher):
    admin = factories.federation_admin()
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher)
    campaign_submit(actor=admin, campaign=campaign)
    campaign_transition(campaign=campaign, to_status=Status.APPROVED, actor=admin)
    assert campaign.status == Status.APPROVED


@pytest.mark.parametrize("raised, expected", [(99_999, Status.FAILED), (100_000, Status.SUCCEEDED), (150_000, Status.SUCCEEDED)])
def test_end_decides_on_the_minimum_goal(cooperative, teacher, raised, expected, refunds, django_capture_on_commit_callbacks):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE, raised_cents=raised)
    with django_capture_on_commit_callbacks(execute=True):
        campaign_end(campaign=campaign)
    assert campaign.status == expected
    assert campaign.ended_at is not None
    # Failure refunds every donor; success issues the tax receipts, which waited for it.
    if expected == Status.FAILED:
        assert refunds == [("trousse.payments.tasks.campaign_refund_all", campaign.pk)]
    else:
        assert refunds == [("trousse.payments.receipt_tasks.tax_receipts_issue_for_campaign", campaign.pk)]


def test_end_twice_is_harmless(cooperative, teacher, refunds):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE, raised_cents=120_000)
    campaign_end(campaign=campaign)
    campaign_end(campaign=campaign)
    assert CampaignTransition.objects.count() == 1


def test_cancel_needs_a_reason_and_refunds_after_commit(teacher, cooperative, refunds, django_capture_on_commit_callbacks):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE)
    with pytest.raises(ApplicationError) as error:
        campaign_cancel(actor=teacher, campaign=campaign, reason=" ")
    assert "reason" in error.value.field_errors
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        campaign_cancel(actor=teacher, campaign=campaign, reason="Sortie annulée par la mairie")
    # Nothing is dispatched before the commit...
    assert refunds == []
    for callback in callbacks:
        callback()
    # ...and the refunds are asked for once it happened.
    assert refunds == [("trousse.payments.tasks.campaign_refund_all", campaign.pk)]
    assert CampaignTransition.objects.get().comment == "Sortie annulée par la mairie"


def test_receipts_are_asked_for_only_once_the_success_committed(cooperative, teacher, refunds, django_capture_on_commit_callbacks):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE, raised_cents=120_000)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        campaign_end(campaign=campaign)
    assert refunds == []
    for callback in callbacks:
        callback()
    assert refunds == [("trousse.payments.receipt_tasks.tax_receipts_issue_for_campaign", campaign.pk)]


def test_the_receipts_task_is_registered_under_the_name_campaigns_dispatch():
    # campaigns never imports payments: the task's name is the whole contract.
    from config.celery import app

    app.loader.import_default_modules()
    assert services.RECEIPTS_ISSUE_TASK in app.tasks


def test_refunds_are_dispatched_by_task_name_when_registered(monkeypatch):
    from config.celery import app

    received = []

    @app.task(name="tests.campaigns.fake_refund_all")
    def fake_refund_all(campaign_id):
        received.append(campaign_id)

    services._dispatch_by_name("tests.campaigns.fake_refund_all", 42)
    assert received == [42]
    # An unknown task name is logged, not raised: the transition has already committed.
    services._dispatch_by_name("tests.campaigns.no_such_task", 42)


def test_review_decisions_email_the_teacher(animator, cooperative, teacher, django_capture_on_commit_callbacks):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        campaign_transition(campaign=campaign, to_status=Status.REJECTED, actor=animator, comment="Hors du cadre de l'OCCE")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [teacher.email]
    assert "n'a pas été retenu" in mail.outbox[0].subject
    assert "Hors du cadre de l'OCCE" in mail.outbox[0].body


def test_submission_emails_the_animators_of_the_ad(animator, other_ad, cooperative, teacher, campaign, django_capture_on_commit_callbacks):
    factories.animator_of(other_ad)
    with django_capture_on_commit_callbacks(execute=True):
        campaign_submit(actor=teacher, campaign=campaign)
    assert [message.to for message in mail.outbox] == [[animator.email]]


def test_public_pages_are_invalidated_when_a_campaign_goes_live(cooperative, teacher, django_capture_on_commit_callbacks):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.APPROVED)
    for name, campaign_id in (("home", None), ("detail", campaign.pk)):
        public_cache_set(public_cache_get(name, campaign_id)[1], "before", 60)
    with django_capture_on_commit_callbacks(execute=True):
        campaign_transition(campaign=campaign, to_status=Status.LIVE)
    assert public_cache_get("home")[0] is None
    assert public_cache_get("detail", campaign.pk)[0] is None


def test_a_refused_transition_leaves_nothing_behind(teacher, campaign, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(ConflictError):
            campaign_transition(campaign=campaign, to_status=Status.LIVE)
    assert callbacks == []
    assert not CampaignTransition.objects.exists()
    assert mail.outbox == []
