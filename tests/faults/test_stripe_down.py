"""Stripe (localstripe) down: the donor is told to try again, and nothing is half-written."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.payments.conftest import donation_form
from trousse.ledger.models import LedgerEntry, LedgerTransaction
from trousse.payments import gateway
from trousse.payments.models import Donation, DonationStatus, DonationTransition
from trousse.payments.services import donations_reconcile

from .conftest import closed_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def stripe_down(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_localstripe"
    settings.USES_LOCALSTRIPE = True
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{closed_port()}"


def assert_nothing_but_a_pending_row(campaign) -> Donation:
    (donation,) = Donation.objects.filter(campaign=campaign)
    assert donation.status == DonationStatus.PENDING and donation.stripe_payment_intent_id is None
    assert not LedgerTransaction.objects.exists() and not LedgerEntry.objects.exists()
    assert not DonationTransition.objects.exists()
    campaign.refresh_from_db()
    assert campaign.raised_cents == 0 and campaign.donors_count == 0
    return donation


def test_the_donation_form_says_try_again_with_stripe_down(client, stripe_down, live_campaign):
    response = client.post(
        reverse("donation_create", kwargs={"slug": live_campaign.slug}), donation_form(card_payment_method="card_0123456789abcdef")
    )
    assert response.status_code == 503
    assert "Réessayez" in response.content.decode()
    assert_nothing_but_a_pending_row(live_campaign)


def test_a_hanging_stripe_is_given_up_in_seconds_and_the_donor_told_to_try_again(client, settings, live_campaign, hanging_redis):
    # A server that accepts and never answers: Stripe's library would wait 80 s per attempt.
    settings.STRIPE_SECRET_KEY = "sk_test_localstripe"
    settings.USES_LOCALSTRIPE = True
    settings.STRIPE_API_BASE = hanging_redis.http_url
    settings.STRIPE_TIMEOUT_SECONDS = 0.3
    response = client.post(
        reverse("donation_create", kwargs={"slug": live_campaign.slug}), donation_form(card_payment_method="card_0123456789abcdef")
    )
    assert response.status_code == 503
    assert "Réessayez" in response.content.decode()
    # Every attempt (the first and the retries) ended by our timeout, not by the server.
    assert hanging_redis.connections == 1 + gateway.MAX_NETWORK_RETRIES
    assert hanging_redis.hang_ups(expected=hanging_redis.connections) == hanging_redis.connections
    assert_nothing_but_a_pending_row(live_campaign)


def test_the_donation_api_says_try_again_with_stripe_down(client, stripe_down, live_campaign):
    body = {
        "campaign": live_campaign.slug,
        "amount_cents": 2_000,
        "method": "card",
        "card_payment_method": "card_0123456789abcdef",
        "first_name": "Camille",
        "last_name": "Martin",
        "email": "camille@example.org",
    }
    response = client.post("/api/v1/donations/", body, content_type="application/json")
    assert response.status_code == 503
    assert "Réessayez" in response.json()["detail"]
    assert_nothing_but_a_pending_row(live_campaign)


def _pending_row_left_by_an_outage(client, settings, campaign) -> Donation:
    reachable = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{closed_port()}"
    client.post(reverse("donation_create", kwargs={"slug": campaign.slug}), donation_form(card_payment_method="card_0123456789abcdef"))
    settings.STRIPE_API_BASE = reachable
    return assert_nothing_but_a_pending_row(campaign)


@pytest.mark.localstripe
def test_the_pending_row_is_cancelled_by_reconciliation_once_stripe_is_back(client, settings, live_campaign, localstripe):
    donation = _pending_row_left_by_an_outage(client, settings, live_campaign)
    # Stripe has no PaymentIntent for it: abandoned after a day, cancelled, still no money moved.
    assert donations_reconcile(now=timezone.now() + datetime.timedelta(hours=25))["abandoned"] == 1
    donation.refresh_from_db()
    assert donation.status == DonationStatus.CANCELLED
    assert not LedgerTransaction.objects.exists()


@pytest.mark.localstripe
def test_reconciliation_abandons_nothing_while_stripe_is_still_down(client, settings, live_campaign, localstripe):
    donation = _pending_row_left_by_an_outage(client, settings, live_campaign)
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{closed_port()}"
    counts = donations_reconcile(now=timezone.now() + datetime.timedelta(hours=25))
    assert counts["errors"] == 1
    donation.refresh_from_db()
    assert donation.status == DonationStatus.PENDING
