"""The database work of one webhook event, counted: throughput (issue #5) rests on it, so a regression fails here.

One payment_intent.succeeded, first delivery, is five statements in one
transaction on PostgreSQL: the event row (inserted already marked processed,
ON CONFLICT on its id), the donation locked once, its UPDATE with its history
row, the ledger transaction with its entries (the accounts found by code in
the same statement), and the campaign's counters (UPDATE ... RETURNING).
Elsewhere (SQLite) the ORM does the last three in six. Under pytest the
test's own transaction turns the outer BEGIN/COMMIT into one savepoint pair.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories
from tests.payments.helpers import assert_raised_matches_ledger, event_payload, post_event
from trousse.campaigns.models import Status
from trousse.ledger.models import LedgerTransaction
from trousse.payments.models import DonationStatus, StripeEvent, TaxReceipt, TaxReceiptStatus
from trousse.payments.tax_receipts import tax_receipt_issue_annual

pytestmark = pytest.mark.django_db

# 5 statements on PostgreSQL (8 elsewhere) + the savepoint pair standing in for BEGIN/COMMIT (27 before issue #5).
SUCCEEDED_EVENT_STATEMENTS = 5 if connection.vendor == "postgresql" else 8
SUCCEEDED_EVENT_MAX_QUERIES = SUCCEEDED_EVENT_STATEMENTS + 2
# A redelivered event: the insert that finds the id taken, then the stored row read under its lock (+ the savepoint pair).
DUPLICATE_EVENT_MAX_QUERIES = 4


@pytest.fixture
def warmed(client, live_campaign):
    """One donation already credited, so the accounts exist as they do on a running platform."""
    post_event(client, event_payload("payment_intent.succeeded", donation=factories.DonationFactory(campaign=live_campaign, amount_cents=500)))
    return live_campaign


def _statements(captured) -> list[str]:
    """What the code asked for, without the savepoints that stand in for BEGIN/COMMIT/ROLLBACK inside the test's transaction."""
    return [query["sql"] for query in captured.captured_queries if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))]


def test_a_succeeded_event_is_applied_in_five_statements(client, warmed, django_assert_max_num_queries):
    donation = factories.DonationFactory(campaign=warmed, amount_cents=5000)
    payload = event_payload("payment_intent.succeeded", donation=donation)
    with django_assert_max_num_queries(SUCCEEDED_EVENT_MAX_QUERIES) as captured:
        response = post_event(client, payload)
    assert response.status_code == 200 and response.json()["duplicate"] is False
    statements = _statements(captured)
    assert len(statements) == SUCCEEDED_EVENT_STATEMENTS, "\n".join(statements)
    # The donation is locked and written once each; no nested savepoint (one pair is the test's own transaction).
    if connection.features.has_select_for_update:
        assert sum("FOR UPDATE" in sql for sql in statements) == 1
    assert sum('UPDATE "payments_donation"' in sql for sql in statements) == 1
    assert sum(query["sql"].startswith("SAVEPOINT") for query in captured.captured_queries) <= 1
    donation.refresh_from_db()
    assert donation.status == DonationStatus.SUCCEEDED and donation.stripe_charge_id and donation.succeeded_at
    assert StripeEvent.objects.get(stripe_event_id=payload["id"]).processed_at is not None
    assert LedgerTransaction.objects.filter(key=f"donation:{donation.pk}:succeeded").count() == 1
    assert_raised_matches_ledger(warmed)
    assert warmed.raised_cents == 5500 and warmed.donors_count == 2


def test_a_redelivered_event_costs_an_insert_that_does_nothing_and_one_read(client, warmed, django_assert_max_num_queries):
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


# --- the receipts sync is published only when it can do something (a publish costs a millisecond) ---

RECEIPT_SYNC = "trousse.payments.receipt_tasks.tax_receipt_sync_for_donation"
CONFIRMATION = "trousse.payments.tasks.donation_confirmation_send"


@pytest.fixture
def published(monkeypatch):
    """The names of the jobs dispatched after commit, in order; they still run as usual."""
    from trousse import tasks_dispatch

    names: list[str] = []
    real = tasks_dispatch._publish

    def recording(task, args, kwargs, options):
        names.append(task.name)
        return real(task, args, kwargs, options)

    monkeypatch.setattr(tasks_dispatch, "_publish", recording)
    return names


@pytest.mark.parametrize("wants_tax_receipt", [True, False])
def test_a_payment_while_the_campaign_is_live_publishes_no_receipt_sync(client, live_campaign, published, django_capture_on_commit_callbacks, wants_tax_receipt):
    # Nothing to issue yet: the campaign's success issues the receipts of all its donations.
    donation = factories.DonationFactory(campaign=live_campaign, wants_tax_receipt=wants_tax_receipt)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(client, event_payload("payment_intent.succeeded", donation=donation)).status_code == 200
    assert published == [CONFIRMATION]


def test_a_failed_payment_publishes_nothing(client, live_campaign, published, django_capture_on_commit_callbacks):
    donation = factories.DonationFactory(campaign=live_campaign)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(client, event_payload("payment_intent.payment_failed", donation=donation)).status_code == 200
    donation.refresh_from_db()
    assert donation.status == DonationStatus.FAILED
    assert published == []


@pytest.mark.parametrize(("wants_tax_receipt", "receipts"), [(True, 1), (False, 0)])
def test_a_payment_to_a_campaign_that_succeeded_publishes_the_sync_only_for_a_receipt_asked_for(
    client, cooperative, teacher, published, django_capture_on_commit_callbacks, wants_tax_receipt, receipts
):
    # A SEPA debit settling after the campaign's end: the sync issues its receipt at once.
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUCCEEDED)
    donation = factories.DonationFactory(campaign=campaign, wants_tax_receipt=wants_tax_receipt)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(client, event_payload("payment_intent.succeeded", donation=donation)).status_code == 200
    assert (RECEIPT_SYNC in published) is bool(receipts)
    assert TaxReceipt.objects.filter(donations=donation, status=TaxReceiptStatus.ISSUED).count() == receipts


def test_a_refund_still_cancels_a_receipt_the_donor_asked_for_later(client, cooperative, teacher, treasurer, published, django_capture_on_commit_callbacks):
    # No box ticked on the form, so no sync when paid; but an annual receipt asked for
    # since covers the gift: the refund must still reach the sync, which cancels it.
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUCCEEDED)
    donation = factories.DonationFactory(campaign=campaign, amount_cents=5000, wants_tax_receipt=False)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, event_payload("payment_intent.succeeded", donation=donation))
    assert RECEIPT_SYNC not in published
    receipt = tax_receipt_issue_annual(actor=treasurer, ad=campaign.cooperative.ad, donor_email=donation.email, year=timezone.localdate().year)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(client, event_payload("charge.refunded", donation=donation, amount_refunded=5000)).status_code == 200
    assert RECEIPT_SYNC in published
    receipt.refresh_from_db()
    assert receipt.status == TaxReceiptStatus.CANCELLED
