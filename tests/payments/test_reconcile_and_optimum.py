"""A lost webhook loses nothing (reconciliation), and reaching the optimum ends the campaign early."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories
from tests.payments.helpers import assert_raised_matches_ledger, event_payload, localstripe_card_token, post_event
from trousse.campaigns.models import Status
from trousse.payments import gateway, services
from trousse.payments.models import Donation, DonationStatus

pytestmark = pytest.mark.django_db


@pytest.mark.localstripe
def test_reconciliation_applies_what_the_webhook_missed(live_campaign, localstripe, django_capture_on_commit_callbacks):
    paid = factories.DonationFactory(campaign=live_campaign, stripe_payment_intent_id=None, amount_cents=2500)
    card = localstripe_card_token(localstripe, "4242424242424242")["card"]["id"]
    # Stripe took the money, then our process died before saving the intent's id or hearing the webhook.
    attempt = gateway.card_payment_create(donation_id=paid.pk, amount_cents=2500, card_payment_method=card, metadata={"donation_id": paid.pk, "donation_public_id": str(paid.public_id)})
    assert attempt.intent.status == "succeeded"
    abandoned = factories.DonationFactory(campaign=live_campaign, stripe_payment_intent_id=None)
    Donation.objects.filter(pk=abandoned.pk).update(created_at=timezone.now() - timedelta(days=2))

    with django_capture_on_commit_callbacks(execute=True):
        counts = services.donations_reconcile(now=timezone.now() + timedelta(minutes=10))
    paid.refresh_from_db()
    abandoned.refresh_from_db()
    assert paid.status == DonationStatus.SUCCEEDED and paid.stripe_payment_intent_id == attempt.intent.id
    assert abandoned.status == DonationStatus.CANCELLED
    assert counts["changed"] >= 1 and counts["abandoned"] == 1
    assert_raised_matches_ledger(live_campaign)
    assert live_campaign.raised_cents == 2500


def test_reconcile_task_is_in_the_beat_schedule():
    from config.celery import app

    assert app.conf.beat_schedule["payments-reconcile"]["task"] == "trousse.payments.tasks.donations_reconcile"
    assert "campaigns-advance-by-date" in app.conf.beat_schedule


def test_reaching_the_optimum_ends_the_campaign_early(client, live_campaign, django_capture_on_commit_callbacks):
    pytest.importorskip("trousse.campaigns.services").campaign_end
    donation = factories.DonationFactory(campaign=live_campaign, amount_cents=live_campaign.optimum_goal_cents)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, event_payload("payment_intent.succeeded", donation=donation))
    live_campaign.refresh_from_db()
    assert live_campaign.status == Status.SUCCEEDED
    assert_raised_matches_ledger(live_campaign)


def test_below_the_optimum_the_campaign_stays_live(client, live_campaign, django_capture_on_commit_callbacks):
    donation = factories.DonationFactory(campaign=live_campaign, amount_cents=live_campaign.optimum_goal_cents - 500)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, event_payload("payment_intent.succeeded", donation=donation))
    live_campaign.refresh_from_db()
    assert live_campaign.status == Status.LIVE
