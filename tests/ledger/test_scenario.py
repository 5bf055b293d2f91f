"""A campaign from its first donation to its closing: every euro followed through the ledger.

Runs on SQLite and, marked copy below, on PostgreSQL (row locks, the append-only trigger).
"""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests import factories
from trousse.campaigns.models import CampaignTransition, Status
from trousse.exceptions import ApplicationError, ConflictError
from trousse.ledger import selectors, services
from trousse.ledger.models import ExpensePaymentMethod, ExpenseStatus, LedgerTransaction, TransactionKind

from .conftest import jpeg_bytes
from .helpers import assert_ledger_ok, donate, refund, succeed


def _expense(mandataire, campaign, line, amount_cents, supplier="Cars du Marais"):
    return services.expense_create(
        actor=mandataire,
        campaign=campaign,
        budget_line=line,
        date=timezone.localdate(),
        supplier=supplier,
        amount_cents=amount_cents,
        payment_method=ExpensePaymentMethod.TRANSFER,
        receipt=SimpleUploadedFile("facture.jpg", jpeg_bytes(), content_type="image/jpeg"),
    )


def run_scenario(cooperative, teacher, mandataire, second_mandataire, treasurer):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE)
    transport, lodging = campaign.budget_lines.all()

    # Donations, one of them refunded in part: the page's counter follows the ledger.
    first = donate(campaign, 60_000, email="famille@example.org")
    assert_ledger_ok()
    second = donate(campaign, 50_000, email="boulangerie@example.org")
    donate(campaign, 10_000, email="famille@example.org")
    refund(second, 20_000)
    assert_ledger_ok()
    assert campaign.raised_cents == 100_000
    assert selectors.campaign_fund_balance(campaign=campaign) == 100_000

    succeed(campaign)

    # Partial disbursement: 700 € now, the rest later.
    batch = services.disbursement_batch_create(actor=treasurer, ad=cooperative.ad, requests=[services.DisbursementRequest(campaign=campaign, amount_cents=70_000)])
    with pytest.raises(ConflictError):  # the same campaign cannot be in two open batches
        services.disbursement_batch_create(actor=treasurer, ad=cooperative.ad, requests=[services.DisbursementRequest(campaign=campaign, amount_cents=10_000)])
    services.disbursement_batch_execute(actor=treasurer, batch=batch)
    assert_ledger_ok()
    campaign.refresh_from_db()
    assert campaign.status == Status.SUCCEEDED  # 300 € still to disburse
    money = selectors.campaign_money(campaign=campaign)
    assert (money.fund_cents, money.disbursed_cents) == (30_000, 70_000)

    # Expenses: the submitter never approves their own; overspending a line warns; spending beyond what was disbursed is refused.
    bus = _expense(mandataire, campaign, transport, 65_000)
    services.expense_submit(actor=mandataire, expense=bus)
    with pytest.raises(PermissionDenied):
        services.expense_approve(actor=mandataire, expense=bus)
    services.expense_approve(actor=second_mandataire, expense=bus)
    services.expense_pay(actor=mandataire, expense=bus)
    assert_ledger_ok()
    view = selectors.campaign_budget_view(campaign=campaign)
    assert view.lines[0].spent_cents == 65_000 and view.lines[0].overspent  # 600 € budgeted
    assert view.warnings

    hotel = _expense(mandataire, campaign, lodging, 30_000, supplier="Auberge de l'île")
    with pytest.raises(ApplicationError, match="dépasserait"):
        services.expense_submit(actor=mandataire, expense=hotel)

    # The rest of the fund reaches the cooperative: the campaign is funded.
    batch = services.disbursement_batch_create(actor=treasurer, ad=cooperative.ad, requests=[services.DisbursementRequest(campaign=campaign, amount_cents=30_000)])
    services.disbursement_batch_execute(actor=treasurer, batch=batch)
    assert_ledger_ok()
    campaign.refresh_from_db()
    assert campaign.status == Status.FUNDED
    assert CampaignTransition.objects.filter(campaign=campaign, to_status=Status.FUNDED, actor=treasurer).exists()

    services.expense_submit(actor=mandataire, expense=hotel)
    services.expense_mark_incomplete(actor=treasurer, expense=hotel, comment="Il manque le nombre de nuitées.")
    services.expense_update(actor=mandataire, expense=hotel, amount_cents=28_000, description="2 nuits, 24 élèves")
    services.expense_submit(actor=mandataire, expense=hotel)
    services.expense_approve(actor=treasurer, expense=hotel)
    services.expense_pay(actor=treasurer, expense=hotel)
    services.expense_reconcile(actor=mandataire, expense=hotel, statement_date=timezone.localdate() + datetime.timedelta(days=0), statement_label="VIR AUBERGE ILE")
    assert_ledger_ok()

    # 70 € left unspent: closing is refused until they are documented as given back to the AD, and the report is out.
    blockers = services.campaign_closing_blockers(campaign=campaign)
    assert any("ne sont couverts" in blocker for blocker in blockers)
    with pytest.raises(ConflictError):
        services.campaign_close(actor=teacher, campaign=campaign)
    with pytest.raises(ApplicationError):
        services.campaign_refund_to_ad(actor=mandataire, campaign=campaign, amount_cents=8_000, reason="reliquat")
    services.campaign_refund_to_ad(actor=mandataire, campaign=campaign, amount_cents=7_000, reason="Reliquat non dépensé, virement à l'AD du 30/06")
    assert_ledger_ok()
    assert selectors.ad_balance(ad=cooperative.ad) == 7_000
    assert selectors.cooperative_balance(cooperative=cooperative) == 0

    with pytest.raises(PermissionDenied):
        services.final_report_save(actor=mandataire, campaign=campaign, body="Bilan")
    services.final_report_save(actor=teacher, campaign=campaign, body="Nous avons vu **les phoques**. <script>alert(1)</script>", publish=True)
    mail.outbox.clear()
    with services_captured_on_commit():
        services.campaign_close(actor=teacher, campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == Status.CLOSED
    assert_ledger_ok()
    # One e-mail per donor who still gave something (the fully refunded one did not: 300 € of 500 € remain, so they did).
    recipients = sorted(message.to[0] for message in mail.outbox)
    assert recipients == ["boulangerie@example.org", "famille@example.org"]
    assert "phoques" in mail.outbox[0].body and "<script>" not in campaign.final_report.body_html

    kinds = set(LedgerTransaction.objects.filter(campaign=campaign).values_list("kind", flat=True))
    assert kinds == {TransactionKind.DONATION, TransactionKind.REFUND, TransactionKind.DISBURSEMENT, TransactionKind.EXPENSE, TransactionKind.ADJUSTMENT}
    return campaign, first


class services_captured_on_commit:
    """Runs on_commit callbacks of the block (pytest-django's `db` wraps each test in a transaction)."""

    def __enter__(self):
        from django.db import connection

        self._start = len(connection.run_on_commit)
        return self

    def __exit__(self, *exc):
        from django.db import connection

        if exc[0] is None:
            callbacks = connection.run_on_commit[self._start :]
            del connection.run_on_commit[self._start :]
            for _, callback, _robust in callbacks:
                callback()
        return False


def test_campaign_from_first_donation_to_closing(cooperative, teacher, mandataire, second_mandataire, treasurer):
    run_scenario(cooperative, teacher, mandataire, second_mandataire, treasurer)


@pytest.mark.postgres
def test_campaign_from_first_donation_to_closing_on_postgres(cooperative, teacher, mandataire, second_mandataire, treasurer):
    run_scenario(cooperative, teacher, mandataire, second_mandataire, treasurer)


def test_ledger_check_reports_a_raised_amount_that_disagrees(cooperative, capsys):
    from django.core.management import CommandError, call_command

    campaign = factories.CampaignFactory(cooperative=cooperative, status=Status.LIVE)
    donate(campaign, 5_000)
    type(campaign).objects.filter(pk=campaign.pk).update(raised_cents=6_000)
    with pytest.raises(CommandError):  # manage.py turns it into exit status 1
        call_command("ledger_check")
    assert f"campaign {campaign.pk}" in capsys.readouterr().err
