"""Exactly-once under concurrency: two people clicking at the same moment make one move."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from tests import factories
from trousse.campaigns.models import Campaign, CampaignTransition, Status
from trousse.campaigns.services import campaign_submit
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
