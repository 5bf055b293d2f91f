"""The database failing during a donation storm: no donation Stripe says succeeded is lost.

The shared PostgreSQL server is never restarted (other people use it). A
failure is injected where the webhook's transaction writes to the ledger: an
OperationalError raised in place of the statement (any database), or, on
PostgreSQL, our own session terminated by the server (`pg_terminate_backend`),
which is what every open connection sees when the server restarts.
"""

import random

import pytest
from django.core import mail
from django.db import OperationalError, connection
from django.utils import timezone

from tests import factories
from tests.payments.helpers import assert_raised_matches_ledger, event_payload, post_event
from trousse.ledger.models import LedgerTransaction
from trousse.payments import gateway
from trousse.payments.models import Donation, DonationStatus, StripeEvent
from trousse.payments.services import donations_reconcile

pytestmark = pytest.mark.django_db(transaction=True)

STORM = 24
LOST_WEBHOOKS = 4  # never delivered at all: only reconciliation can find them
STRIPE_ATTEMPTS = 3  # Stripe retries a failed delivery (for days; three rounds here)


def _terminate_own_session() -> None:
    """Have the server end our session, from a second connection, as a restart would."""
    import psycopg

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**{k: v for k, v in params.items() if k in {"dbname", "user", "password", "host", "port"}}, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


class DatabaseFaults:
    """An execute wrapper failing the ledger write of the deliveries it is armed for."""

    def __init__(self, mode: str):
        self.mode = mode
        self.armed = False
        self.injected = 0

    def __call__(self, execute, sql, params, many, context):
        # The ledger's INSERT, alone or inside the one statement that posts a donation (WITH ... INSERT INTO "ledger_...).
        if self.armed and 'INSERT INTO "ledger_' in sql:
            self.armed = False
            self.injected += 1
            if self.mode == "terminate":
                _terminate_own_session()
            else:
                raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)


@pytest.mark.parametrize("mode", ["error", pytest.param("terminate", marks=pytest.mark.postgres)])
def test_no_succeeded_donation_is_lost_when_the_database_fails_mid_storm(client, live_campaign, monkeypatch, mode):
    donations = [factories.DonationFactory(campaign=live_campaign, amount_cents=2_000) for _ in range(STORM)]
    events = {donation.pk: event_payload("payment_intent.succeeded", donation=donation) for donation in donations}
    delivered_ok: set[int] = set()
    lost = {donation.pk for donation in donations[:LOST_WEBHOOKS]}
    faults = DatabaseFaults(mode)
    chance = random.Random(5)
    statuses = []
    for _attempt in range(STRIPE_ATTEMPTS):
        for donation in donations:
            if donation.pk in lost or donation.pk in delivered_ok:
                continue
            faults.armed = chance.random() < 0.4
            with connection.execute_wrapper(faults):
                response = post_event(client, events[donation.pk])
            faults.armed = False
            statuses.append(response.status_code)
            if response.status_code == 200:
                delivered_ok.add(donation.pk)
            # What the server does at the start of every request: drop a connection that broke.
            connection.close_if_unusable_or_obsolete()
    assert faults.injected >= 3 and 500 in statuses  # the storm did hit failures
    assert set(statuses) <= {200, 500}  # our failure is a 5xx, so that Stripe retries

    # Stripe says every one of them succeeded; reconciliation asks it about what is still open.
    def stripe_says(intent_id):
        donation = Donation.objects.get(stripe_payment_intent_id=intent_id)
        return gateway.PaymentIntentData(id=intent_id, status="succeeded", amount_cents=donation.amount_cents, charge_id=f"ch_{intent_id}")

    monkeypatch.setattr(gateway, "payment_intent_retrieve", stripe_says)
    counts = donations_reconcile(now=timezone.now() + timezone.timedelta(minutes=10))
    assert counts["changed"] == STORM - len(delivered_ok) >= LOST_WEBHOOKS

    assert Donation.objects.filter(campaign=live_campaign, status=DonationStatus.SUCCEEDED).count() == STORM
    assert LedgerTransaction.objects.filter(reference__startswith="donation:").values("reference").distinct().count() == STORM
    assert LedgerTransaction.objects.filter(reference__startswith="donation:").count() == STORM  # none doubled
    live_campaign.refresh_from_db()
    assert live_campaign.raised_cents == STORM * 2_000 and live_campaign.donors_count == STORM
    assert_raised_matches_ledger(live_campaign)
    # One confirmation per donor: a rolled-back attempt sent nothing.
    assert sorted(message.to[0] for message in mail.outbox) == sorted(donation.email for donation in donations)
    # Stripe's later retries of the events that kept failing (and of the lost ones) change nothing now.
    for pk in set(events) - delivered_ok:
        assert post_event(client, events[pk]).status_code == 200
    assert LedgerTransaction.objects.filter(reference__startswith="donation:").count() == STORM
    assert len(mail.outbox) == STORM
    assert not StripeEvent.objects.filter(processed_at__isnull=True).exists()
