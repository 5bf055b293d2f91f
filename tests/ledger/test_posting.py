"""Postings by account name (donations, refunds, disputes): one statement on PostgreSQL, the same books everywhere."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from trousse.campaigns.models import Status
from trousse.ledger.models import AccountKind, LedgerAccount, LedgerTransaction, TransactionKind
from trousse.ledger.selectors import campaign_fund_balance
from trousse.ledger.services import ledger_record_dispute, ledger_record_donation, ledger_record_refund

from .helpers import assert_ledger_ok

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(cooperative):
    return factories.CampaignFactory(cooperative=cooperative, status=Status.LIVE)


def entries_of(ledger_tx) -> dict[str, int]:
    return dict(ledger_tx.entries.values_list("account__code", "amount_cents"))


def test_a_first_posting_creates_the_missing_accounts_and_balances(live):
    # A new campaign has no fund account yet (and a new platform no clearing account).
    LedgerAccount.objects.filter(code__in=["stripe_clearing", f"campaign_fund:{live.pk}"]).delete()
    ledger_tx, created = ledger_record_donation(campaign=live, amount_cents=2_500, key="donation:1:succeeded", reference="donation:1")
    assert created
    stored = LedgerTransaction.objects.get(key="donation:1:succeeded")
    assert stored.pk == ledger_tx.pk and stored.kind == TransactionKind.DONATION and stored.campaign_id == live.pk
    assert entries_of(stored) == {"stripe_clearing": -2_500, f"campaign_fund:{live.pk}": 2_500}
    assert LedgerAccount.objects.get(code=f"campaign_fund:{live.pk}").campaign_id == live.pk
    assert campaign_fund_balance(campaign=live) == 2_500
    # The books' own check (every transaction balanced), once the page's counter says the same.
    type(live).objects.filter(pk=live.pk).update(raised_cents=2_500)
    assert_ledger_ok()


def test_the_same_key_posts_once(live):
    first, created = ledger_record_donation(campaign=live, amount_cents=2_500, key="donation:2:succeeded", reference="donation:2")
    again, created_again = ledger_record_donation(campaign=live, amount_cents=2_500, key="donation:2:succeeded", reference="donation:2")
    assert created and not created_again and again.pk == first.pk
    assert entries_of(again) == {"stripe_clearing": -2_500, f"campaign_fund:{live.pk}": 2_500}
    assert campaign_fund_balance(campaign=live) == 2_500


def test_once_the_accounts_exist_a_posting_is_one_statement_on_postgres(live):
    ledger_record_donation(campaign=live, amount_cents=1_000, key="donation:3:succeeded", reference="donation:3")
    with CaptureQueriesContext(connection) as captured:
        ledger_record_donation(campaign=live, amount_cents=4_000, key="donation:4:succeeded", reference="donation:4")
    if connection.vendor == "postgresql":
        assert len(captured.captured_queries) == 1, [query["sql"] for query in captured.captured_queries]
    assert campaign_fund_balance(campaign=live) == 5_000


def test_refunds_and_disputes_carry_their_kind_memo_and_actor(live, treasurer):
    ledger_record_donation(campaign=live, amount_cents=5_000, key="donation:5:succeeded", reference="donation:5")
    refund, _ = ledger_record_refund(campaign=live, amount_cents=1_500, key="refund:9", reference="donation:5", memo="Erreur de montant", actor=treasurer)
    dispute, _ = ledger_record_dispute(campaign=live, amount_cents=500, key="dispute:dp_1", reference="donation:5")
    refund = LedgerTransaction.objects.get(pk=refund.pk)
    assert (refund.kind, refund.memo, refund.actor_id, refund.campaign_id) == (TransactionKind.REFUND, "Erreur de montant", treasurer.pk, live.pk)
    assert entries_of(refund) == {f"campaign_fund:{live.pk}": -1_500, "stripe_clearing": 1_500}
    dispute = LedgerTransaction.objects.get(pk=dispute.pk)
    assert dispute.kind == TransactionKind.DISPUTE and entries_of(dispute) == {f"campaign_fund:{live.pk}": -500, AccountKind.DISPUTES: 500}
    assert campaign_fund_balance(campaign=live) == 3_000


def test_a_posting_that_cannot_balance_is_refused(live):
    with pytest.raises(ValueError, match="non-zero"):
        ledger_record_donation(campaign=live, amount_cents=0, key="donation:6:succeeded", reference="donation:6")
    assert not LedgerTransaction.objects.filter(key="donation:6:succeeded").exists()
