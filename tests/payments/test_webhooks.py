"""Webhooks: signed on the raw body, stored once, applied once whatever the order or the number of deliveries."""

import json
import threading

import pytest
from django.db import connection
from django.urls import reverse

from tests import factories
from tests.payments.helpers import WEBHOOK_URL, assert_raised_matches_ledger, event_payload, post_event
from trousse.campaigns.models import Status
from trousse.ledger.models import AccountKind, LedgerEntry, LedgerTransaction
from trousse.ledger.selectors import campaign_fund_balance
from trousse.payments.models import Donation, DonationStatus, PaymentMethod, Refund, StripeEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def donation(live_campaign):
    return factories.DonationFactory(campaign=live_campaign, amount_cents=5000)


def _ledger_donation_count(donation) -> int:
    return LedgerTransaction.objects.filter(key=f"donation:{donation.pk}:succeeded").count()


def test_same_event_delivered_twice_has_one_effect(client, donation, django_capture_on_commit_callbacks):
    payload = event_payload("payment_intent.succeeded", donation=donation)
    with django_capture_on_commit_callbacks(execute=True):
        first = post_event(client, payload)
        second = post_event(client, payload)
    assert first.status_code == 200 and first.json()["duplicate"] is False
    assert second.status_code == 200 and second.json()["duplicate"] is True
    donation.refresh_from_db()
    assert donation.status == DonationStatus.SUCCEEDED
    assert _ledger_donation_count(donation) == 1
    assert StripeEvent.objects.filter(stripe_event_id=payload["id"]).count() == 1
    assert_raised_matches_ledger(donation.campaign)
    assert donation.campaign.raised_cents == 5000 and donation.campaign.donors_count == 1


def test_two_events_saying_succeeded_credit_once(client, donation):
    post_event(client, event_payload("payment_intent.succeeded", donation=donation))
    post_event(client, event_payload("payment_intent.succeeded", donation=donation))
    assert _ledger_donation_count(donation) == 1
    assert_raised_matches_ledger(donation.campaign)
    assert donation.campaign.raised_cents == 5000


def test_late_processing_after_succeeded_changes_nothing(client, donation):
    post_event(client, event_payload("payment_intent.succeeded", donation=donation))
    response = post_event(client, event_payload("payment_intent.processing", donation=donation))
    assert response.status_code == 200
    donation.refresh_from_db()
    assert donation.status == DonationStatus.SUCCEEDED
    assert list(donation.transitions.values_list("to_status", flat=True)) == [DonationStatus.SUCCEEDED]


def test_sepa_succeeded_after_failed_is_applied(client, live_campaign):
    donation = factories.DonationFactory(campaign=live_campaign, method=PaymentMethod.SEPA_DEBIT, amount_cents=3000)
    post_event(client, event_payload("payment_intent.processing", donation=donation))
    post_event(client, event_payload("payment_intent.payment_failed", donation=donation))
    donation.refresh_from_db()
    assert donation.status == DonationStatus.FAILED and "approvisionné" in donation.failure_message
    assert live_campaign.raised_cents == 0
    post_event(client, event_payload("payment_intent.succeeded", donation=donation))
    donation.refresh_from_db()
    assert donation.status == DonationStatus.SUCCEEDED
    assert_raised_matches_ledger(live_campaign)
    assert live_campaign.raised_cents == 3000
    assert list(donation.transitions.values_list("to_status", flat=True)) == ["processing", "failed", "succeeded"]


def test_a_refused_debit_is_explained_from_its_code_not_stripes_english(client, live_campaign):
    donation = factories.DonationFactory(campaign=live_campaign, method=PaymentMethod.SEPA_DEBIT, amount_cents=3000, stripe_payment_intent_id="pi_refused_debit")
    payload = event_payload("payment_intent.payment_failed", donation=donation)
    payload["data"]["object"]["last_payment_error"] = {"code": "account_closed", "message": "The bank account has been closed.", "type": "invalid_request_error"}
    post_event(client, payload)
    donation.refresh_from_db()
    assert (donation.status, donation.failure_code) == (DonationStatus.FAILED, "account_closed")
    page = client.get(reverse("donation_return", kwargs={"public_id": donation.public_id}), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Ce compte bancaire est clos ou n&#x27;existe pas : vérifiez l&#x27;IBAN." in page
    assert "has been closed" not in page


def test_out_of_order_delivery_ends_in_the_right_state(client, live_campaign):
    donation = factories.DonationFactory(campaign=live_campaign, method=PaymentMethod.SEPA_DEBIT)
    post_event(client, event_payload("payment_intent.succeeded", donation=donation))
    post_event(client, event_payload("payment_intent.processing", donation=donation))
    post_event(client, event_payload("payment_intent.payment_failed", donation=donation))
    donation.refresh_from_db()
    assert donation.status == DonationStatus.SUCCEEDED
    assert_raised_matches_ledger(live_campaign)
    assert live_campaign.raised_cents == donation.amount_cents


def test_intent_found_by_metadata_when_its_id_was_never_saved(client, live_campaign):
    donation = factories.DonationFactory(campaign=live_campaign, stripe_payment_intent_id=None)
    payload = event_payload("payment_intent.succeeded", donation=donation)
    payload["data"]["object"]["id"] = "pi_lost_after_crash"
    post_event(client, payload)
    donation.refresh_from_db()
    assert donation.status == DonationStatus.SUCCEEDED and donation.stripe_payment_intent_id == "pi_lost_after_crash"


@pytest.mark.parametrize(
    "signature",
    ["", "t=1,v1=deadbeef", "garbage", None],
    ids=["missing", "wrong-hmac", "unparsable", "wrong-secret"],
)
def test_bad_signatures_get_400_and_change_nothing(client, donation, signature):
    payload = event_payload("payment_intent.succeeded", donation=donation)
    if signature is None:
        response = post_event(client, payload, secret="whsec_someone_else")
    else:
        body = json.dumps(payload).encode()
        response = client.post(WEBHOOK_URL, data=body, content_type="application/json", **({"HTTP_STRIPE_SIGNATURE": signature} if signature else {}))
    assert response.status_code == 400
    donation.refresh_from_db()
    assert donation.status == DonationStatus.PENDING
    assert not StripeEvent.objects.exists() and not LedgerTransaction.objects.exists()


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"id": "evt_1"}', b'{"id": "evt_1", "type": "payment_intent.succeeded", "data": "x"}'])
def test_malformed_signed_bodies_get_400_and_change_nothing(client, body):
    from tests.payments.helpers import stripe_signature

    response = client.post(WEBHOOK_URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=stripe_signature(body))
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_a_stale_signature_is_refused(client, donation):
    from tests.payments.helpers import stripe_signature

    body = json.dumps(event_payload("payment_intent.succeeded", donation=donation)).encode()
    response = client.post(WEBHOOK_URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=stripe_signature(body, timestamp=1_000_000_000))
    assert response.status_code == 400


def test_our_failure_answers_500_and_the_retry_applies_it(client, donation, monkeypatch):
    from trousse.payments import services

    payload = event_payload("payment_intent.succeeded", donation=donation)
    original = services.WEBHOOK_HANDLERS["payment_intent.succeeded"]

    def broken(event):
        raise RuntimeError("database hiccup")

    monkeypatch.setitem(services.WEBHOOK_HANDLERS, "payment_intent.succeeded", broken)
    assert post_event(client, payload).status_code == 500
    donation.refresh_from_db()
    assert donation.status == DonationStatus.PENDING
    assert StripeEvent.objects.get(stripe_event_id=payload["id"]).processed_at is None

    monkeypatch.setitem(services.WEBHOOK_HANDLERS, "payment_intent.succeeded", original)
    assert post_event(client, payload).json()["duplicate"] is False
    donation.refresh_from_db()
    assert donation.status == DonationStatus.SUCCEEDED and _ledger_donation_count(donation) == 1


def test_refund_made_in_stripe_dashboard_is_applied_once(client, donation, django_capture_on_commit_callbacks):
    post_event(client, event_payload("payment_intent.succeeded", donation=donation))
    refunded = event_payload("charge.refunded", donation=donation, amount_refunded=2000)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, refunded)
        post_event(client, event_payload("charge.refunded", donation=donation, amount_refunded=2000))  # same total, new event id
    donation.refresh_from_db()
    assert donation.status == DonationStatus.PARTIALLY_REFUNDED and donation.refunded_cents == 2000
    assert Refund.objects.filter(donation=donation).count() == 1
    assert_raised_matches_ledger(donation.campaign)
    assert donation.campaign.raised_cents == 3000
    post_event(client, event_payload("charge.refunded", donation=donation, amount_refunded=5000))
    donation.refresh_from_db()
    assert donation.status == DonationStatus.REFUNDED and donation.refunded_cents == 5000
    assert_raised_matches_ledger(donation.campaign)
    assert donation.campaign.raised_cents == 0 and donation.campaign.donors_count == 0


def test_dispute_freezes_the_disputed_amount(client, donation):
    post_event(client, event_payload("payment_intent.succeeded", donation=donation))
    dispute = event_payload("charge.dispute.created", donation=donation)
    post_event(client, dispute)
    post_event(client, dispute)
    donation.refresh_from_db()
    assert donation.status == DonationStatus.DISPUTED and donation.disputed_cents == 5000
    frozen = LedgerEntry.objects.filter(account__kind=AccountKind.DISPUTES, transaction__reference=f"donation:{donation.pk}")
    assert [entry.amount_cents for entry in frozen] == [5000]
    assert_raised_matches_ledger(donation.campaign)


def test_succeeded_donation_on_a_failed_campaign_is_refunded(client, live_campaign, monkeypatch, django_capture_on_commit_callbacks):
    # A SEPA debit that clears after the campaign failed goes straight back (the refund job is asked by name).
    from trousse.payments import tasks

    asked = []
    monkeypatch.setattr(tasks.campaign_refund_all, "delay", lambda campaign_id: asked.append(campaign_id))
    donation = factories.DonationFactory(campaign=live_campaign, method=PaymentMethod.SEPA_DEBIT)
    type(live_campaign).objects.filter(pk=live_campaign.pk).update(status=Status.FAILED)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, event_payload("payment_intent.succeeded", donation=donation))
    assert asked == [live_campaign.pk]


# --------------------------------------------------------------------------- PostgreSQL: real row locks


def _post_concurrently(payloads: list[dict], threads: int = 8) -> list[int]:
    from django.test import Client

    barrier = threading.Barrier(len(payloads))
    statuses: list[int] = []

    def worker(payload):
        try:
            barrier.wait(timeout=10)
            statuses.append(post_event(Client(), payload).status_code)
        finally:
            connection.close()

    workers = [threading.Thread(target=worker, args=(p,)) for p in payloads]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=60)
    return statuses


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_same_event_from_8_threads_has_one_effect(live_campaign):
    donation = factories.DonationFactory(campaign=live_campaign, amount_cents=4200)
    payload = event_payload("payment_intent.succeeded", donation=donation)
    statuses = _post_concurrently([payload] * 8)
    assert statuses == [200] * 8
    donation.refresh_from_db()
    assert donation.status == DonationStatus.SUCCEEDED
    assert _ledger_donation_count(donation) == 1
    assert donation.transitions.count() == 1
    assert StripeEvent.objects.count() == 1
    assert_raised_matches_ledger(live_campaign)
    assert live_campaign.raised_cents == 4200 and live_campaign.donors_count == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_different_events_for_many_donations_from_8_threads(live_campaign):
    donations = [factories.DonationFactory(campaign=live_campaign, amount_cents=1000 + i) for i in range(4)]
    payloads = []
    for donation in donations:
        payloads.append(event_payload("payment_intent.succeeded", donation=donation))
        payloads.append(event_payload("payment_intent.processing", donation=donation))
    statuses = _post_concurrently(payloads)
    assert statuses == [200] * 8
    for donation in donations:
        donation.refresh_from_db()
        assert donation.status == DonationStatus.SUCCEEDED
        assert _ledger_donation_count(donation) == 1
    assert_raised_matches_ledger(live_campaign)
    assert live_campaign.raised_cents == sum(d.amount_cents for d in donations)
    assert live_campaign.donors_count == 4
    assert Donation.objects.filter(status=DonationStatus.SUCCEEDED).count() == 4


def test_a_late_intent_event_does_not_release_an_open_dispute(client, live_campaign):
    """The PaymentIntent stays "succeeded" during a dispute: only the dispute's outcome may release the money."""
    donation = factories.DonationFactory(campaign=live_campaign, amount_cents=5_000)
    assert post_event(client, event_payload("payment_intent.succeeded", donation=donation)).status_code == 200
    donation.refresh_from_db()
    assert post_event(client, event_payload("charge.dispute.created", donation=donation)).status_code == 200
    donation.refresh_from_db()
    assert donation.status == DonationStatus.DISPUTED
    fund_while_disputed = campaign_fund_balance(campaign=live_campaign)
    # A retried or late first delivery of the intent's success arrives now.
    assert post_event(client, event_payload("payment_intent.succeeded", donation=donation)).status_code == 200
    donation.refresh_from_db()
    assert donation.status == DonationStatus.DISPUTED and donation.disputed_cents == 5_000
    assert campaign_fund_balance(campaign=live_campaign) == fund_while_disputed


def test_a_lost_dispute_is_a_refund_of_the_disputed_amount(client, live_campaign):
    donation = factories.DonationFactory(campaign=live_campaign, amount_cents=5_000)
    post_event(client, event_payload("payment_intent.succeeded", donation=donation))
    post_event(client, event_payload("charge.dispute.created", donation=donation))
    lost = event_payload("charge.dispute.closed", donation=donation, status="lost")
    assert post_event(client, lost).status_code == 200
    assert post_event(client, lost).status_code == 200  # redelivered: nothing more
    donation.refresh_from_db()
    live_campaign.refresh_from_db()
    assert donation.status == DonationStatus.REFUNDED and donation.refunded_cents == 5_000 and donation.disputed_cents == 0
    assert live_campaign.raised_cents == 0 and campaign_fund_balance(campaign=live_campaign) == 0
    assert_raised_matches_ledger(live_campaign)
