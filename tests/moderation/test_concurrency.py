"""Exactly-once under concurrency: two people clicking at the same moment make one move."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from tests import factories
from trousse.campaigns.models import Campaign, CampaignRevision, CampaignTransition, RevisionState, Status
from trousse.campaigns.services import campaign_submit, campaign_update
from trousse.exceptions import ApplicationError
from trousse.moderation.models import Review
from trousse.moderation.services import review_approve

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(action, count=2):
    """Run `action` in `count` threads released together; returns the results and the refusals."""
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(action())
        except ApplicationError as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results, errors


def test_two_animators_approving_at_once_make_one_transition(ad, cooperative, teacher):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUBMITTED, submitted_at=timezone.now())
    first, second = factories.animator_of(ad), factories.animator_of(ad)
    animators = iter([first, second])
    lock = threading.Lock()

    def approve():
        with lock:
            actor = next(animators)
        # Each thread loads its own copy, as two requests would.
        return review_approve(actor=actor, campaign=Campaign.objects.get(pk=campaign.pk))

    results, errors = _race(approve)
    assert len(results) == 1 and len(errors) == 1
    assert errors[0].status_code == 409
    assert CampaignTransition.objects.filter(campaign=campaign, to_status=Status.APPROVED).count() == 1
    assert Review.objects.filter(campaign=campaign).count() == 1


def test_double_submit_makes_one_transition(cooperative, teacher):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher)
    results, errors = _race(lambda: campaign_submit(actor=teacher, campaign=Campaign.objects.get(pk=campaign.pk)))
    assert len(results) == 1 and len(errors) == 1
    assert CampaignTransition.objects.filter(campaign=campaign).count() == 1


def test_two_edits_of_a_live_campaign_at_once_lose_neither_change(cooperative, teacher):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE)
    edits = iter([{"summary": "Le résumé de l'onglet un."}, {"title": "Le titre de l'onglet deux"}])
    lock = threading.Lock()

    def edit():
        with lock:
            fields = next(edits)
        return campaign_update(actor=teacher, campaign=Campaign.objects.get(pk=campaign.pk), **fields)

    results, errors = _race(edit)
    assert len(results) == 2 and errors == []
    (revision,) = CampaignRevision.objects.filter(campaign=campaign)
    assert (revision.values["summary"], revision.values["title"], revision.version) == ("Le résumé de l'onglet un.", "Le titre de l'onglet deux", 2)


def test_an_edit_racing_an_approval_is_neither_lost_nor_applied_unseen(ad, cooperative, teacher):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE)
    campaign_update(actor=teacher, campaign=campaign, summary="Le résumé que l'animateur·rice a lu.")
    animator = factories.animator_of(ad)
    actions = iter(["approve", "edit"])
    lock = threading.Lock()

    def act():
        with lock:
            action = next(actions)
        fresh = Campaign.objects.get(pk=campaign.pk)
        if action == "approve":
            return review_approve(actor=animator, campaign=fresh, revision_version=1)
        return campaign_update(actor=teacher, campaign=fresh, title="Un titre écrit pendant la relecture")

    results, errors = _race(act)
    campaign.refresh_from_db()
    open_revision = CampaignRevision.objects.filter(campaign=campaign, state=RevisionState.PENDING).first()
    assert open_revision is not None and open_revision.values["title"] == "Un titre écrit pendant la relecture"
    # The title the animator never read is never public.
    assert campaign.title != "Un titre écrit pendant la relecture" and campaign.status == Status.LIVE
    if errors:  # the edit came first: version 2 waits, with both changes
        assert [error.status_code for error in errors] == [409]
        assert campaign.summary != "Le résumé que l'animateur·rice a lu."
        assert open_revision.values["summary"] == "Le résumé que l'animateur·rice a lu."
    else:  # the approval came first: what it read is public, the edit is a new revision on top of it
        assert campaign.summary == "Le résumé que l'animateur·rice a lu."
        assert CampaignRevision.objects.filter(campaign=campaign, state=RevisionState.APPROVED).count() == 1
