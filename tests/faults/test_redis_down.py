"""Redis down: pages and webhooks keep answering, and no job's effect is lost."""

import logging

import pytest
from django.core import mail
from django.urls import reverse

from tests import factories
from tests.payments.helpers import assert_raised_matches_ledger, event_payload, post_event
from trousse.campaigns.models import Status
from trousse.payments import receipt_tasks
from trousse.payments.models import DonationStatus, TaxReceipt
from trousse.tasks_dispatch import DispatchSafeTask, dispatch

from .conftest import closed_port

pytestmark = pytest.mark.django_db(transaction=True)

# Every task must publish through the guarded dispatch: Celery's own delay_on_commit
# raises after the commit, which turns a saved donation into a 500 and drops the
# on-commit callbacks registered after it (the confirmation e-mail, the cache bump).
RECEIPT_TASKS_GUARDED = isinstance(receipt_tasks.tax_receipt_sync_for_donation, DispatchSafeTask)
needs_guarded_receipt_tasks = pytest.mark.xfail(
    not RECEIPT_TASKS_GUARDED,
    strict=True,
    reason="config/celery.py must build the app with task_cls='trousse.tasks_dispatch:DispatchSafeTask' (asked of the lead)",
)


def test_the_campaign_page_answers_with_the_broker_down(client, broker_down, live_campaign):
    response = client.get(reverse("campaign_detail", kwargs={"slug": live_campaign.slug}))
    assert response.status_code == 200
    assert response.context["campaign"].pk == live_campaign.pk


def test_the_campaign_page_answers_with_the_redis_cache_down(client, settings, live_campaign):
    # The production cache backend (config/settings/base.py when REDIS_URL is set).
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.TolerantRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    response = client.get(reverse("campaign_detail", kwargs={"slug": live_campaign.slug}))
    assert response.status_code == 200


@needs_guarded_receipt_tasks
def test_a_webhook_applies_the_donation_and_its_jobs_run_with_the_broker_down(client, broker_down, live_campaign, caplog):
    donation = factories.DonationFactory(campaign=live_campaign, amount_cents=5_000)
    with caplog.at_level(logging.ERROR, logger="trousse.tasks_dispatch"):
        response = post_event(client, event_payload("payment_intent.succeeded", donation=donation))
    assert response.status_code == 200
    donation.refresh_from_db()
    assert donation.status == DonationStatus.SUCCEEDED
    assert_raised_matches_ledger(live_campaign)
    # The jobs could not be published: they ran here instead, and said so in the log.
    assert "broker unreachable" in caplog.text
    assert [message.to for message in mail.outbox] == [[donation.email]]
    # Stripe delivering the event again changes nothing.
    assert post_event(client, event_payload("payment_intent.succeeded", donation=donation)).status_code == 200
    assert len(mail.outbox) == 1


def test_my_tasks_run_in_process_when_the_broker_is_down(broker_down, live_campaign, caplog):
    """The confirmation e-mail is not derivable from the database: it must not wait for a sweep."""
    from trousse.payments import tasks

    donation = factories.DonationFactory(campaign=live_campaign, status=DonationStatus.SUCCEEDED)
    with caplog.at_level(logging.ERROR, logger="trousse.tasks_dispatch"):
        published = dispatch(tasks.donation_confirmation_send, donation.pk)
    assert published is False and "broker unreachable" in caplog.text
    assert [message.to for message in mail.outbox] == [[donation.email]]


def test_receipts_lost_with_the_broker_are_issued_by_the_periodic_job(broker_down, live_campaign, monkeypatch):
    """Receipts are derivable: donations of a succeeded campaign without one are caught up by the beat job."""
    from trousse.payments import tasks

    donations = [factories.DonationFactory(campaign=live_campaign, status=DonationStatus.SUCCEEDED) for _ in range(3)]
    type(live_campaign).objects.filter(pk=live_campaign.pk).update(status=Status.SUCCEEDED)
    assert not TaxReceipt.objects.exists()  # the job that issues them on success never ran
    # Redis is back; beat runs the reconciliation, which sweeps the side effects (Stripe has nothing open).
    broker_down.conf.task_always_eager = True
    monkeypatch.setattr(tasks.services, "donations_reconcile", lambda: {"checked": 0})
    counts = tasks.donations_reconcile.apply().get(disable_sync_subtasks=False)
    assert counts["receipts_issued"] == 3
    for donation in donations:
        assert TaxReceipt.objects.filter(donations=donation, status="issued").count() == 1
    assert tasks.donations_reconcile.apply().get(disable_sync_subtasks=False)["receipts_issued"] == 0
