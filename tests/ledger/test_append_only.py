import pytest
from django.db import IntegrityError, InternalError, connection, transaction

from tests import factories
from trousse.campaigns.models import Status
from trousse.exceptions import ApplicationError
from trousse.ledger.models import AppendOnlyError, LedgerEntry, LedgerTransaction, TransactionKind
from trousse.ledger.selectors import campaign_fund_balance
from trousse.ledger.services import ledger_reverse

from .helpers import assert_ledger_ok, donate


@pytest.fixture
def donation_tx(cooperative):
    campaign = factories.CampaignFactory(cooperative=cooperative, status=Status.LIVE)
    donation = donate(campaign, 5_000)
    return LedgerTransaction.objects.get(key=f"donation:{donation.pk}:succeeded")


def test_models_refuse_update_and_delete(donation_tx):
    entry = donation_tx.entries.first()
    entry.amount_cents = 1
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        donation_tx.delete()


def test_a_correction_is_a_motivated_reversal(donation_tx, admin_user):
    with pytest.raises(ApplicationError):
        ledger_reverse(original=donation_tx, reason="  ")
    reversal = ledger_reverse(original=donation_tx, reason="Don saisi deux fois", actor=admin_user)
    assert reversal.kind == TransactionKind.ADJUSTMENT and reversal.reverses == donation_tx
    assert campaign_fund_balance(campaign=donation_tx.campaign) == 0
    # Reversing twice returns the same reversal: a double click never doubles a correction.
    assert ledger_reverse(original=donation_tx, reason="encore", actor=admin_user) == reversal


def test_admin_is_read_only(donation_tx, admin_client):
    response = admin_client.get(f"/admin/ledger/ledgertransaction/{donation_tx.pk}/change/")
    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    assert admin_client.post(f"/admin/ledger/ledgertransaction/{donation_tx.pk}/delete/", {"post": "yes"}).status_code == 403
    assert LedgerTransaction.objects.filter(pk=donation_tx.pk).exists()


@pytest.mark.postgres
def test_postgres_trigger_refuses_raw_update_and_delete(donation_tx):
    entry = donation_tx.entries.first()
    for sql in (
        f"UPDATE ledger_ledgerentry SET amount_cents = 1 WHERE id = {entry.pk}",
        f"DELETE FROM ledger_ledgerentry WHERE id = {entry.pk}",
        f"UPDATE ledger_ledgertransaction SET memo = 'x' WHERE id = {donation_tx.pk}",
    ):
        with pytest.raises((IntegrityError, InternalError), match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert LedgerEntry.objects.get(pk=entry.pk).amount_cents == entry.amount_cents
    assert_ledger_ok()
