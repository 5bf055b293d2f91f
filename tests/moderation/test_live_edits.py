"""A live (or approved) campaign edited by its teacher stays public: the change waits in a revision for the animator."""

import datetime

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from tests import factories
from tests.campaigns.conftest import jpeg_upload
from tests.campaigns.helpers import donate, live_campaign_through_review
from trousse.campaigns.models import BudgetLine, CampaignImage, CampaignRevision, CampaignTransition, RevisionState, Status
from trousse.campaigns.services import BudgetLineData, campaign_cancel, campaign_end, campaign_image_add, campaign_image_remove, campaign_transition, campaign_update
from trousse.exceptions import ApplicationError, ConflictError
from trousse.moderation.models import Decision, Review
from trousse.moderation.selectors import campaign_audit_trail, campaign_diff, open_review_comments, review_queue
from trousse.moderation.services import review_approve, review_reject, review_request_changes
from trousse.payments.models import Refund
from trousse.payments.services import donation_create

pytestmark = pytest.mark.django_db

NEW_SUMMARY = "Un résumé corrigé, avec une faute en moins."


@pytest.fixture
def live_campaign(cooperative, teacher, animator):
    campaign = live_campaign_through_review(cooperative=cooperative, teacher=teacher, animator=animator)
    mail.outbox.clear()
    return campaign


def _page(client, campaign) -> str:
    response = client.get(reverse("campaign_detail", kwargs={"slug": campaign.slug}))
    assert response.status_code == 200
    return response.content.decode()


def _open(campaign) -> CampaignRevision:
    return CampaignRevision.objects.get(campaign=campaign, state__in=[RevisionState.PENDING, RevisionState.CHANGES_REQUESTED])


def test_an_edit_of_a_live_campaign_waits_for_review_while_the_page_stays_online_and_collecting(client, teacher, animator, live_campaign, django_capture_on_commit_callbacks):
    public_summary = live_campaign.summary
    with django_capture_on_commit_callbacks(execute=True):
        campaign = campaign_update(actor=teacher, campaign=live_campaign, summary=NEW_SUMMARY)

    assert campaign.status == Status.LIVE
    live_campaign.refresh_from_db()
    assert (live_campaign.status, live_campaign.summary) == (Status.LIVE, public_summary)
    page = _page(client, live_campaign)
    assert escape(public_summary) in page and escape(NEW_SUMMARY) not in page
    # Donations go on, against the approved goals.
    assert donation_create(campaign=live_campaign, amount_cents=2_000, first_name="Inès", last_name="Morel", email="ines@example.org").pk
    revision = _open(live_campaign)
    assert (revision.state, revision.version, revision.author, revision.values["summary"]) == (RevisionState.PENDING, 1, teacher, NEW_SUMMARY)
    assert not CampaignTransition.objects.filter(campaign=live_campaign, to_status=Status.SUBMITTED).exists()
    # The animator hears of it, and finds it in the queue with the diff against the public version.
    assert [message.to for message in mail.outbox] == [[animator.email]]
    assert "reste en ligne" in mail.outbox[0].body
    (queued,) = review_queue(actor=animator)
    assert (queued, queued.is_revision, queued.revision_version) == (live_campaign, True, 1)
    assert [(change.field, change.before, change.after) for change in campaign_diff(campaign=live_campaign)] == [("summary", public_summary, NEW_SUMMARY)]


def test_a_second_edit_updates_the_same_revision_from_the_proposal(teacher, live_campaign, django_capture_on_commit_callbacks):
    campaign_update(actor=teacher, campaign=live_campaign, summary=NEW_SUMMARY)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        campaign_update(actor=teacher, campaign=live_campaign, title="Classe de mer, le retour")
    revision = _open(live_campaign)
    assert CampaignRevision.objects.filter(campaign=live_campaign).count() == 1
    # Both changes are kept: the second edit goes on from the first, not from the public version.
    assert (revision.version, revision.values["summary"], revision.values["title"]) == (2, NEW_SUMMARY, "Classe de mer, le retour")
    assert mail.outbox == []  # the animator was told once; the queue shows the latest version


def test_approving_publishes_the_revision_at_once_in_one_decision(client, teacher, animator, live_campaign, django_capture_on_commit_callbacks):
    _page(client, live_campaign)  # cached
    campaign_update(
        actor=teacher,
        campaign=live_campaign,
        summary=NEW_SUMMARY,
        description="Nous partons *quatre* jours.",
        budget_lines=[BudgetLineData("Transport en car", "transport", 70_000), BudgetLineData("Hébergement", "accommodation", 110_000)],
    )
    with django_capture_on_commit_callbacks(execute=True):
        picture = campaign_image_add(actor=teacher, campaign=live_campaign, upload=jpeg_upload(), alt_text="Le phare", consent_confirmed=True)
    assert not picture.published
    assert "Le phare" not in _page(client, live_campaign)
    version = _open(live_campaign).version
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        review = review_approve(actor=animator, campaign=live_campaign, comment="Merci pour la correction.", revision_version=version)

    live_campaign.refresh_from_db()
    assert (live_campaign.status, live_campaign.summary) == (Status.LIVE, NEW_SUMMARY)
    assert live_campaign.description_html == "<p>Nous partons <em>quatre</em> jours.</p>"
    assert list(BudgetLine.objects.filter(campaign=live_campaign).values_list("amount_cents", flat=True)) == [70_000, 110_000]
    assert CampaignImage.objects.get(pk=picture.pk).published
    assert live_campaign.approved_snapshot["summary"] == NEW_SUMMARY and [image["id"] for image in live_campaign.approved_snapshot["images"]] == [picture.pk]
    assert live_campaign.raised_cents == 3_000
    # The public page shows it now: its cached copy was dropped.
    page = _page(client, live_campaign)
    assert NEW_SUMMARY in page and "Le phare" in page
    # Audited on the review, tied to the revision: no status moved, so no transition row.
    assert (review.decision, review.reviewer, review.message, review.transition, review.revision.state) == (
        Decision.APPROVED, animator, "Merci pour la correction.", None, RevisionState.APPROVED
    )
    assert not CampaignTransition.objects.filter(campaign=live_campaign, created_at__gte=review.created_at).exists()
    trail = campaign_audit_trail(actor=teacher, campaign=live_campaign)
    assert [(entry.kind, entry.label) for entry in trail[-2:]] == [("revision", "Modification proposée"), ("revision", "Modification validée et publiée")]
    assert trail[-1].comment == "Merci pour la correction." and trail[-1].actor == str(animator)
    assert [message.to for message in mail.outbox] == [[teacher.email]]
    assert "est validée" in mail.outbox[0].subject and "Merci pour la correction." in mail.outbox[0].body
    assert list(review_queue(actor=animator)) == []
    assert campaign_diff(campaign=live_campaign) == []


def test_a_picture_waiting_for_review_is_on_no_public_page_even_built_afresh(client, teacher, live_campaign, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        picture = campaign_image_add(actor=teacher, campaign=live_campaign, upload=jpeg_upload(), alt_text="Le phare", consent_confirmed=True)
    # Nothing cached: the page and the listing are built from the database.
    cache.clear()
    page = _page(client, live_campaign)
    assert "Le phare" not in page and picture.large.url not in page
    assert picture.thumbnail.url not in client.get(reverse("home")).content.decode()


def _raise_to(campaign, cents: int):
    """Paid donations up to `cents` collected, through the payments' own transition."""
    donate(campaign, cents - campaign.raised_cents)
    campaign.refresh_from_db()
    return campaign


def test_a_live_collection_keeps_its_minimum_goal_and_never_falls_below_what_it_collected(teacher, live_campaign):
    _raise_to(live_campaign, 120_000)  # minimum 1 000 €, optimum 1 500 €: the minimum is reached
    with pytest.raises(ApplicationError) as minimum:
        campaign_update(actor=teacher, campaign=live_campaign, minimum_goal_cents=140_000)
    with pytest.raises(ApplicationError) as optimum:
        campaign_update(actor=teacher, campaign=live_campaign, optimum_goal_cents=110_000)
    with pytest.raises(ApplicationError) as budget:
        campaign_update(actor=teacher, campaign=live_campaign, budget_lines=[BudgetLineData("Transport en car", "transport", 100_000)])

    assert "ne change plus" in minimum.value.field_errors["minimum_goal_cents"]
    assert "déjà collecté (1\u202f200\u00a0€)" in optimum.value.field_errors["optimum_goal_cents"]
    assert "déjà collecté" in budget.value.field_errors["budget_lines"]
    assert not CampaignRevision.objects.filter(campaign=live_campaign).exists()


def test_an_optimum_overtaken_by_donations_during_the_review_is_not_approved(teacher, animator, live_campaign):
    campaign_update(actor=teacher, campaign=live_campaign, optimum_goal_cents=130_000)
    _raise_to(live_campaign, 140_000)

    with pytest.raises(ApplicationError) as refused:
        review_approve(actor=animator, campaign=live_campaign, revision_version=_open(live_campaign).version)

    live_campaign.refresh_from_db()
    assert "déjà collecté" in refused.value.field_errors["optimum_goal_cents"]
    assert (live_campaign.optimum_goal_cents, _open(live_campaign).state) == (150_000, RevisionState.PENDING)


def test_a_change_sent_back_goes_to_review_again_when_its_picture_is_removed_or_it_is_saved_as_is(teacher, animator, live_campaign, django_capture_on_commit_callbacks):
    campaign_update(actor=teacher, campaign=live_campaign, summary=NEW_SUMMARY)
    picture = campaign_image_add(actor=teacher, campaign=live_campaign, upload=jpeg_upload(), alt_text="Le phare", consent_confirmed=True)
    review_request_changes(actor=animator, campaign=live_campaign, field_comments={}, message="Retirez la photo.", revision_version=_open(live_campaign).version)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        campaign_image_remove(actor=teacher, image=picture)
    assert _open(live_campaign).state == RevisionState.PENDING
    assert [message.to for message in mail.outbox] == [[animator.email]]
    assert [campaign.pk for campaign in review_queue(actor=animator)] == [live_campaign.pk]

    review_request_changes(actor=animator, campaign=live_campaign, field_comments={}, message="Relisez-vous.", revision_version=_open(live_campaign).version)
    campaign_update(actor=teacher, campaign=live_campaign, summary=NEW_SUMMARY)  # saved as it is
    assert _open(live_campaign).state == RevisionState.PENDING


def test_request_changes_sends_the_revision_back_while_the_campaign_stays_public(client, teacher, animator, live_campaign, django_capture_on_commit_callbacks):
    campaign_update(actor=teacher, campaign=live_campaign, summary=NEW_SUMMARY)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        review_request_changes(actor=animator, campaign=live_campaign, field_comments={"summary": "Gardez le nom de l'île."}, message="Presque !", revision_version=1)

    live_campaign.refresh_from_db()
    assert live_campaign.status == Status.LIVE and _page(client, live_campaign)
    assert _open(live_campaign).state == RevisionState.CHANGES_REQUESTED
    assert open_review_comments(campaign=live_campaign) == {"summary": "Gardez le nom de l'île.", "__all__": "Presque !"}
    assert list(review_queue(actor=animator)) == []
    assert [message.to for message in mail.outbox] == [[teacher.email]] and "Presque !" in mail.outbox[0].body
    mail.outbox.clear()

    # The teacher corrects: the revision is sent back to review, as a new version.
    with django_capture_on_commit_callbacks(execute=True):
        campaign_update(actor=teacher, campaign=live_campaign, summary="Un résumé corrigé, sur l'île d'Aix.")
    revision = _open(live_campaign)
    assert (revision.state, revision.version) == (RevisionState.PENDING, 2)
    assert [message.to for message in mail.outbox] == [[animator.email]]
    assert open_review_comments(campaign=live_campaign)["summary"] == "Gardez le nom de l'île."
    review_approve(actor=animator, campaign=live_campaign, revision_version=2)
    live_campaign.refresh_from_db()
    assert live_campaign.summary == "Un résumé corrigé, sur l'île d'Aix."
    assert open_review_comments(campaign=live_campaign) == {}


def test_rejecting_discards_the_revision_and_its_pictures_the_campaign_unchanged(client, teacher, animator, live_campaign, django_capture_on_commit_callbacks):
    campaign_update(actor=teacher, campaign=live_campaign, summary=NEW_SUMMARY)
    picture = campaign_image_add(actor=teacher, campaign=live_campaign, upload=jpeg_upload(), alt_text="Des élèves", consent_confirmed=True)
    storage, large = picture.large.storage, picture.large.name
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        review = review_reject(actor=animator, campaign=live_campaign, reason="La photo montre des visages.", revision_version=2)

    assert review.revision.state == RevisionState.REJECTED and review.revision.closed_at
    live_campaign.refresh_from_db()
    assert live_campaign.status == Status.LIVE and live_campaign.summary != NEW_SUMMARY
    assert not CampaignImage.objects.filter(pk=picture.pk).exists() and not storage.exists(large)
    assert not Refund.objects.exists()  # the collection goes on: nobody is refunded
    assert [message.to for message in mail.outbox] == [[teacher.email]]
    assert "n'a pas été retenue" in mail.outbox[0].subject and "La photo montre des visages." in mail.outbox[0].body
    # The next edit starts from the public version again.
    campaign_update(actor=teacher, campaign=live_campaign, title="Un autre titre")
    assert _open(live_campaign).values["summary"] == live_campaign.summary


def test_a_decision_on_a_version_the_animator_did_not_see_is_refused(teacher, animator, live_campaign):
    campaign_update(actor=teacher, campaign=live_campaign, summary=NEW_SUMMARY)
    # The animator opened version 1; the teacher saves again meanwhile.
    campaign_update(actor=teacher, campaign=live_campaign, title="Un titre que l'animateur·rice n'a pas lu")
    with pytest.raises(ConflictError) as error:
        review_approve(actor=animator, campaign=live_campaign, revision_version=1)
    assert error.value.status_code == 409 and "relisez-la" in error.value.message
    with pytest.raises(ApplicationError) as missing:
        review_approve(actor=animator, campaign=live_campaign)
    assert "revision_version" in missing.value.field_errors
    live_campaign.refresh_from_db()
    assert live_campaign.title != "Un titre que l'animateur·rice n'a pas lu"
    assert not Review.objects.filter(revision__isnull=False).exists()


def test_only_the_ads_animator_decides_on_a_revision(teacher, treasurer, other_ad, live_campaign):
    campaign_update(actor=teacher, campaign=live_campaign, summary=NEW_SUMMARY)
    for actor in (teacher, treasurer, factories.animator_of(other_ad)):
        with pytest.raises(ApplicationError) as error:
            review_approve(actor=actor, campaign=live_campaign, revision_version=1)
        assert error.value.status_code == 403
    with pytest.raises(ApplicationError):
        review_reject(actor=factories.animator_of(live_campaign.cooperative.ad), campaign=live_campaign, reason=" ", revision_version=1)
    assert _open(live_campaign).state == RevisionState.PENDING


@pytest.mark.parametrize("leave", ["end", "cancel"])
def test_a_campaign_leaving_live_closes_its_open_revision(teacher, animator, live_campaign, leave, django_capture_on_commit_callbacks):
    campaign_update(actor=teacher, campaign=live_campaign, summary=NEW_SUMMARY)
    picture = campaign_image_add(actor=teacher, campaign=live_campaign, upload=jpeg_upload(), alt_text="Le phare", consent_confirmed=True)
    with django_capture_on_commit_callbacks(execute=True):
        if leave == "end":
            campaign_end(campaign=live_campaign)
        else:
            campaign_cancel(actor=teacher, campaign=live_campaign, reason="La sortie est annulée.")
    revision = CampaignRevision.objects.get(campaign=live_campaign)
    assert revision.state == RevisionState.DISCARDED and revision.closed_at
    assert not CampaignImage.objects.filter(pk=picture.pk).exists()
    assert list(review_queue(actor=animator)) == []


@pytest.mark.parametrize(
    "leave, actor, label",
    [
        ("end", "La Trousse (automatique)", "Modification abandonnée : la collecte est terminée"),
        ("cancel", "teacher", "Modification abandonnée : le projet est annulé"),
    ],
)
def test_the_trail_says_a_waiting_change_was_dropped_because_the_campaign_left_live(teacher, live_campaign, leave, actor, label):
    campaign_update(actor=teacher, campaign=live_campaign, summary=NEW_SUMMARY)
    if leave == "end":
        campaign_end(campaign=live_campaign)
    else:
        campaign_cancel(actor=teacher, campaign=live_campaign, reason="La sortie est annulée.")
    revision = CampaignRevision.objects.get(campaign=live_campaign)

    trail = campaign_audit_trail(actor=teacher, campaign=live_campaign)
    # The move first, then what it did to the change, at the time the change was closed.
    move, dropped = trail[-2:]
    assert (move.kind, move.from_status, move.to_status) == ("transition", Status.LIVE, live_campaign.status)
    assert (dropped.kind, dropped.label, dropped.at) == ("revision", label, revision.closed_at)
    assert dropped.actor == (str(teacher) if actor == "teacher" else actor)
    assert [entry.label for entry in trail if entry.kind == "revision"] == ["Modification proposée", label]


def test_only_the_change_still_waiting_is_said_dropped_by_the_cancellation(teacher, live_campaign):
    public_summary = live_campaign.summary
    campaign_update(actor=teacher, campaign=live_campaign, summary=NEW_SUMMARY)
    campaign_update(actor=teacher, campaign=live_campaign, summary=public_summary)  # edited back: withdrawn by the teacher
    campaign_update(actor=teacher, campaign=live_campaign, title="Classe de mer, le retour")
    campaign_cancel(actor=teacher, campaign=live_campaign, reason="La sortie est annulée.")
    labels = [entry.label for entry in campaign_audit_trail(actor=teacher, campaign=live_campaign) if entry.kind == "revision"]
    assert labels == ["Modification proposée", "Modification proposée", "Modification abandonnée : le projet est annulé"]


def test_the_trail_costs_the_same_queries_whatever_its_length(teacher, animator, cooperative, live_campaign):
    def with_history(campaign, revisions: int):
        for n in range(revisions):
            campaign_update(actor=teacher, campaign=campaign, summary=f"Résumé n° {n}.")
            review_request_changes(actor=animator, campaign=campaign, field_comments={"summary": "Plus court."}, message="Presque.", revision_version=1)
            campaign_update(actor=teacher, campaign=campaign, summary=f"Résumé corrigé n° {n}.")
            review_approve(actor=animator, campaign=campaign, revision_version=2)
        campaign_update(actor=teacher, campaign=campaign, summary="Une dernière modification, jamais relue.")
        campaign_cancel(actor=teacher, campaign=campaign, reason="La sortie est annulée.")
        return campaign

    short = with_history(live_campaign, 1)
    baseline = len(_trail_queries(teacher, short))
    long = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUBMITTED, submitted_at=timezone.now(), start_date=timezone.localdate())
    review_approve(actor=animator, campaign=long)
    long = with_history(campaign_transition(campaign=long, to_status=Status.LIVE), 4)
    queries = _trail_queries(teacher, long)
    assert len(queries) == baseline
    trail = campaign_audit_trail(actor=teacher, campaign=long)
    assert [entry.label for entry in trail if entry.kind == "revision"][-2:] == ["Modification proposée", "Modification abandonnée : le projet est annulé"]


def _trail_queries(actor, campaign) -> list:
    actor = type(actor).objects.get(pk=actor.pk)  # fresh: no membership read cached by an earlier call
    with CaptureQueriesContext(connection) as captured:
        campaign_audit_trail(actor=actor, campaign=campaign)
    return captured.captured_queries


def test_the_rules_of_an_edit_apply_to_the_proposal_with_the_same_messages(teacher, cooperative, live_campaign):
    with pytest.raises(ApplicationError) as error:
        campaign_update(actor=teacher, campaign=live_campaign, start_date=live_campaign.start_date + datetime.timedelta(days=1))
    assert error.value.field_errors["start_date"] == "La collecte a commencé : sa date de début ne change plus."
    with pytest.raises(ApplicationError) as error:
        campaign_update(actor=teacher, campaign=live_campaign, optimum_goal_cents=10)
    assert error.value.field_errors["optimum_goal_cents"] == "L'objectif optimum ne peut être inférieur à l'objectif minimum."
    approved = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.APPROVED)
    with pytest.raises(ApplicationError) as error:
        campaign_update(actor=teacher, campaign=approved, start_date=timezone.localdate() - datetime.timedelta(days=1))
    assert error.value.field_errors["start_date"] == "La collecte ne peut commencer dans le passé."
    assert not CampaignRevision.objects.exists()


def test_a_proposal_that_no_longer_fits_the_campaign_is_not_applied(teacher, animator, cooperative):
    """Proposed while approved, a new start date cannot be applied once the collection has started."""
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.APPROVED, start_date=timezone.localdate())
    campaign_update(actor=teacher, campaign=campaign, start_date=timezone.localdate() + datetime.timedelta(days=2))
    campaign = campaign_transition(campaign=campaign, to_status=Status.LIVE)
    with pytest.raises(ApplicationError) as error:
        review_approve(actor=animator, campaign=campaign, revision_version=1)
    assert "ne change plus" in error.value.message
    campaign.refresh_from_db()
    assert campaign.start_date == timezone.localdate() and _open(campaign).state == RevisionState.PENDING


def test_saving_the_form_unchanged_makes_no_revision(teacher, live_campaign):
    # The edit form posts the description untouched, as a browser sends a textarea: \r\n.
    campaign_update(actor=teacher, campaign=live_campaign, description=live_campaign.description.replace("\n", "\r\n") + "\r\n", title=live_campaign.title)
    assert not CampaignRevision.objects.exists()


def test_a_proposal_edited_back_to_the_public_version_is_withdrawn(teacher, animator, live_campaign):
    public_summary = live_campaign.summary
    campaign_update(actor=teacher, campaign=live_campaign, summary=NEW_SUMMARY)
    campaign_update(actor=teacher, campaign=live_campaign, summary=public_summary)
    assert CampaignRevision.objects.get(campaign=live_campaign).state == RevisionState.DISCARDED
    assert list(review_queue(actor=animator)) == []


def test_removing_a_picture_stays_immediate_and_changes_the_version_under_review(client, teacher, animator, live_campaign, django_capture_on_commit_callbacks):
    public = CampaignImage.objects.create(campaign=live_campaign, large="campaigns/a.jpg", thumbnail="campaigns/a_t.jpg", width=10, height=10, alt_text="Portrait de groupe")
    campaign_update(actor=teacher, campaign=live_campaign, summary=NEW_SUMMARY)
    pending = campaign_image_add(actor=teacher, campaign=live_campaign, upload=jpeg_upload(), alt_text="Le phare", consent_confirmed=True)
    assert "Portrait de groupe" in _page(client, live_campaign)
    with django_capture_on_commit_callbacks(execute=True):
        campaign_image_remove(actor=teacher, image=public)
    assert "Portrait de groupe" not in _page(client, live_campaign)
    campaign_image_remove(actor=teacher, image=pending)
    # The animator may have seen the picture: the version they approve must be the one without it.
    assert _open(live_campaign).version == 3
    with pytest.raises(ConflictError):
        review_approve(actor=animator, campaign=live_campaign, revision_version=2)


def test_a_description_with_browser_line_breaks_is_not_a_change_in_the_diff(teacher, live_campaign):
    type(live_campaign).objects.filter(pk=live_campaign.pk).update(description="Un.\r\n\r\nDeux.")
    live_campaign.refresh_from_db()
    # Saved before line breaks were normalised: the public text holds \r\n, the proposal \n.
    campaign_update(actor=teacher, campaign=live_campaign, summary=NEW_SUMMARY, description="Un.\n\nDeux.")
    assert [change.field for change in campaign_diff(campaign=live_campaign)] == ["summary"]


# --- Campaigns sent back to review by an edit before revisions existed (not migrated) ---


@pytest.fixture
def legacy_resubmitted(cooperative, teacher, live_campaign):
    """Live, then edited when an edit still sent a campaign back to review (submitted, off the site)."""
    type(live_campaign).objects.filter(pk=live_campaign.pk).update(status=Status.SUBMITTED, summary=NEW_SUMMARY, submitted_at=timezone.now())
    CampaignTransition.objects.create(campaign=live_campaign, actor=teacher, from_status=Status.LIVE, to_status=Status.SUBMITTED, comment="Modifié après validation : résumé.")
    live_campaign.refresh_from_db()
    return live_campaign


def test_a_campaign_resubmitted_before_revisions_goes_back_live_when_approved(client, animator, legacy_resubmitted):
    assert client.get(reverse("campaign_detail", kwargs={"slug": legacy_resubmitted.slug})).status_code == 404
    (queued,) = review_queue(actor=animator)
    assert not queued.is_revision
    review_approve(actor=animator, campaign=legacy_resubmitted)
    legacy_resubmitted.refresh_from_db()
    assert legacy_resubmitted.status == Status.LIVE
    assert NEW_SUMMARY in _page(client, legacy_resubmitted)


def test_a_campaign_resubmitted_before_revisions_and_rejected_refunds_its_donors(animator, legacy_resubmitted, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr("trousse.payments.services.refund_process", lambda *, refund_id: sent.append(refund_id) or Refund.objects.get(pk=refund_id))
    with django_capture_on_commit_callbacks(execute=True):
        review_reject(actor=animator, campaign=legacy_resubmitted, reason="Le nouveau texte nomme des élèves.")
    (refund,) = Refund.objects.all()
    assert refund.amount_cents == 3_000
    assert "n'a finalement pas été validé" in refund.reason
    assert sent == [refund.pk]


def test_a_first_approval_still_waits_for_the_start_date(animator, cooperative, teacher):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUBMITTED, start_date=timezone.localdate())
    review_approve(actor=animator, campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == Status.APPROVED


def test_the_animator_reviewing_a_live_change_sees_what_is_already_collected(client, teacher, animator, live_campaign):
    campaign_update(actor=teacher, campaign=live_campaign, optimum_goal_cents=120_000)
    client.force_login(animator)
    content = client.get(reverse("review_detail", kwargs={"slug": live_campaign.slug})).content.decode()
    assert "déjà collectés : 30\u00a0€" in content


def test_a_past_deadline_is_refused_when_the_teacher_proposes_it(teacher, live_campaign):
    type(live_campaign).objects.filter(pk=live_campaign.pk).update(start_date=timezone.localdate() - datetime.timedelta(days=10))
    with pytest.raises(ApplicationError) as refused:
        campaign_update(actor=teacher, campaign=live_campaign, deadline=timezone.localdate() - datetime.timedelta(days=1))
    assert "passée" in refused.value.field_errors["deadline"]
    assert not CampaignRevision.objects.filter(campaign=live_campaign).exists()


def test_the_animator_is_told_who_proposed_the_change(animator, live_campaign, django_capture_on_commit_callbacks):
    admin = factories.federation_admin(first_name="Inès", last_name="Fédération")
    with django_capture_on_commit_callbacks(execute=True):
        campaign_update(actor=admin, campaign=live_campaign, summary=NEW_SUMMARY)
    assert [message.to for message in mail.outbox] == [[animator.email]]
    assert "Inès Fédération" in mail.outbox[0].body and str(live_campaign.teacher) not in mail.outbox[0].body


def test_the_teacher_s_end_of_collection_e_mail_says_their_waiting_change_was_not_applied(teacher, live_campaign, django_capture_on_commit_callbacks):
    campaign_update(actor=teacher, campaign=live_campaign, summary=NEW_SUMMARY)
    with django_capture_on_commit_callbacks(execute=True):
        campaign_cancel(actor=teacher, campaign=live_campaign, reason="Sortie annulée par la mairie")
    to_teacher = [message for message in mail.outbox if message.to == [teacher.email]]
    assert len(to_teacher) == 1 and "attendait encore la relecture : elle n'est pas appliquée" in to_teacher[0].body


def test_an_end_of_collection_e_mail_without_a_waiting_change_does_not_mention_one(teacher, live_campaign, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        campaign_cancel(actor=teacher, campaign=live_campaign, reason="Sortie annulée par la mairie")
    to_teacher = [message for message in mail.outbox if message.to == [teacher.email]]
    assert len(to_teacher) == 1 and "relecture" not in to_teacher[0].body


def test_the_review_of_a_change_offers_remarks_on_what_changed_first_and_folds_the_others(client, teacher, animator, live_campaign):
    campaign_update(actor=teacher, campaign=live_campaign, summary=NEW_SUMMARY)
    client.force_login(animator)
    url = reverse("review_detail", kwargs={"slug": live_campaign.slug})
    content = client.get(url).content.decode()
    folded = content.index("<details>")
    assert content.index("Remarque sur : résumé") < folded < content.index("Remarque sur : titre")

    # A remark on a folded field that comes back with an error is shown unfolded.
    response = client.post(reverse("review_request_changes", kwargs={"slug": live_campaign.slug}), {"revision_version": "1", "field_title": "x" * 2001})
    assert response.status_code == 400 and "<details open>" in response.content.decode()
