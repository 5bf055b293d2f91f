"""The database work of one webhook event, counted: throughput (issue #5) rests on it, so a regression fails here.

One payment_intent.succeeded, first delivery, is eight statements in one
transaction: the event row (inserted already marked processed), the donation
locked once, its one UPDATE, its history row, both ledger accounts in one
query, the ledger transaction (ON CONFLICT on its key), its entries, and the
campaign's counters (UPDATE ... RETURNING). Under pytest the test's own
transaction turns the outer BEGIN/COMMIT into one savepoint pair: ten.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.payments.helpers import assert_raised_matches_ledger, event_payload, post_event
from trousse.ledger.models import LedgerTransaction
from trousse.payments.models import DonationStatus, StripeEvent

pytestmark = pytest.mark.django_db

# 8 statements + the savepoint pair standing in for BEGIN/COMMIT inside the test's transaction (27 before issue #5).
SUCCEEDED_EVENT_MAX_QUERIES = 10
# A redelivered event: the failed insert, then the stored row read under its lock (+ the savepoints of the test's transaction).
DUPLICATE_EVENT_MAX_QUERIES = 7


@pytest.fixture
def warmed(client, live_campaign):
    """One donation already credited, so the accounts exist as they do on a running platform."""
    post_event(client, event_payload("payment_intent.succeeded", donation=factories.DonationFactory(campaign=live_campaign, amount_cents=500)))
    return live_campaign


def _statements(captured) -> list[str]:
    """What the code asked for, without the savepoints that stand in for BEGIN/COMMIT/ROLLBACK inside the test's transaction."""
    return [query["sql"] for query in captured.captured_queries if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))]


def test_a_succeeded_event_is_applied_in_eight_statements(client, warmed, django_assert_max_num_queries):
    donation = factories.DonationFactory(campaign=warmed, amount_cents=5000)
    payload = event_payload("payment_intent.succeeded", donation=donation)
    with django_assert_max_num_queries(SUCCEEDED_EVENT_MAX_QUERIES) as captured:
        response = post_event(client, payload)
    assert response.status_code == 200 and response.json()["duplicate"] is False
    statements = _statements(captured)
    assert len(statements) == 8, "\n".join(statements)
    # The donation is locked and written once each; no nested savepoint (one pair is the test's own transaction).
    if connection.features.has_select_for_update:
        assert sum("FOR UPDATE" in sql for sql in statements) == 1
    assert sum(sql.startswith('UPDATE "payments_donation"') for sql in statements) == 1
    assert sum(query["sql"].startswith("SAVEPOINT") for query in captured.captured_queries) <= 1
    donation.refresh_from_db()
    assert donation.status == DonationStatus.SUCCEEDED and donation.stripe_charge_id and donation.succeeded_at
    assert StripeEvent.objects.get(stripe_event_id=payload["id"]).processed_at is not None
    assert LedgerTransaction.objects.filter(key=f"donation:{donation.pk}:succeeded").count() == 1
    assert_raised_matches_ledger(warmed)
    assert warmed.raised_cents == 5500 and warmed.donors_count == 2


def test_a_redelivered_event_costs_a_failed_insert_and_one_read(client, warmed, django_assert_max_num_queries):
    donation = factories.DonationFactory(campaign=warmed, amount_cents=5000)
    payload = event_payload("payment_intent.succeeded", donation=donation)
    post_event(client, payload)
    with django_assert_max_num_queries(DUPLICATE_EVENT_MAX_QUERIES) as captured:
        response = post_event(client, payload)
    assert response.status_code == 200 and response.json()["duplicate"] is True
    assert len(_statements(captured)) == 2, "\n".join(_statements(captured))
    assert LedgerTransaction.objects.filter(key=f"donation:{donation.pk}:succeeded").count() == 1
    assert_raised_matches_ledger(warmed)
    assert warmed.raised_cents == 5500


def test_a_second_event_saying_succeeded_stops_at_the_locked_donation(client, warmed):
    # The return page or reconciliation said it first: the event is stored, the donation does not move.
    donation = factories.DonationFactory(campaign=warmed, amount_cents=5000)
    post_event(client, event_payload("payment_intent.succeeded", donation=donation))
    with CaptureQueriesContext(connection) as captured:
        response = post_event(client, event_payload("payment_intent.succeeded", donation=donation))
    assert response.status_code == 200 and response.json()["duplicate"] is False
    assert len(_statements(captured)) == 2, "\n".join(_statements(captured))
    assert donation.transitions.count() == 1
    assert_raised_matches_ledger(warmed)
    assert warmed.raised_cents == 5500


def test_a_won_dispute_releases_the_frozen_amount_once(client, warmed):
    # The lean lock reads only the donation's state: the release must still save what it changes.
    from trousse.ledger.selectors import account_balance

    donation = factories.DonationFactory(campaign=warmed, amount_cents=5000)
    post_event(client, event_payload("payment_intent.succeeded", donation=donation))
    post_event(client, event_payload("charge.dispute.created", donation=donation))
    fund = f"campaign_fund:{warmed.pk}"
    assert account_balance(code=fund) == 500
    closed = event_payload("charge.dispute.closed", donation=donation, status="won")
    for _delivery in range(2):
        assert post_event(client, closed).status_code == 200
    donation.refresh_from_db()
    assert donation.status == DonationStatus.SUCCEEDED and donation.disputed_cents == 0
    assert account_balance(code=fund) == 5500
    assert LedgerTransaction.objects.filter(key=f"donation:{donation.pk}:succeeded").count() == 1
    assert list(donation.transitions.values_list("to_status", flat=True)) == ["succeeded", "disputed", "succeeded"]
    assert_raised_matches_ledger(warmed)
    assert warmed.raised_cents == 5500 and warmed.donors_count == 2
