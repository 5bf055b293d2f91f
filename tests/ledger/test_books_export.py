"""The cooperative's books export: accounts named for a person, their stable code kept for imports, constant queries."""

import csv
import io

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from trousse.ledger import exports, selectors, services
from trousse.ledger.models import AccountKind, TransactionKind

from .helpers import expense_of, succeeded_campaign

HEADER = ["Date", "Libellé", "Compte", "Débit", "Crédit", "Projet", "Référence justificatif", "Code compte"]


def _rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def _export(client, cooperative) -> list[list[str]]:
    today = timezone.localdate().isoformat()
    response = client.get(reverse("books_export", kwargs={"cooperative_id": cooperative.pk}), {"start": today, "end": today, "file": "csv"})
    assert response.status_code == 200
    return _rows(response.content)


def _funded(cooperative, treasurer, **fields):
    campaign = succeeded_campaign(cooperative, **fields)
    batch = services.disbursement_batch_create(actor=treasurer, ad=cooperative.ad, requests=[services.DisbursementRequest(campaign=campaign, amount_cents=110_000)])
    services.disbursement_batch_execute(actor=treasurer, batch=batch)
    campaign.refresh_from_db()
    return campaign


def _paid_expense(mandataire, campaign, treasurer, amount_cents=12_345):
    expense = expense_of(mandataire, campaign, amount_cents=amount_cents)
    services.expense_approve(actor=treasurer, expense=expense)
    return services.expense_pay(actor=mandataire, expense=expense)


def test_the_export_names_each_account_and_keeps_its_code_in_the_last_column(client, ad, cooperative, mandataire, treasurer):
    cooperative.school_name, cooperative.city = "École élémentaire Jules-Ferry", "Niort"
    cooperative.save()
    campaign = _funded(cooperative, treasurer, title="Classe de mer à l'île d'Aix")
    expense = _paid_expense(mandataire, campaign, treasurer)
    services.campaign_refund_to_ad(actor=mandataire, campaign=campaign, amount_cents=10_000, reason="Reliquat non dépensé")
    client.force_login(mandataire)

    rows = _export(client, cooperative)
    assert rows[0] == HEADER
    named = {(row[-1], row[2]) for row in rows[1:]}
    assert named == {
        (f"campaign_fund:{campaign.pk}", "Fonds du projet « Classe de mer à l'île d'Aix »"),
        (f"cooperative:{cooperative.pk}", "Coopérative École élémentaire Jules-Ferry (Niort)"),
        ("suppliers", "Fournisseurs"),
        (f"ad:{ad.pk}", "Association départementale OCCE Deux-Sèvres (79)"),
    }
    # Debit and credit stay where they were: the expense is the cooperative's credit and the suppliers' debit.
    expense_rows = [row for row in rows if row[6] == expense.receipt_reference]
    assert sorted((row[2], row[3], row[4]) for row in expense_rows) == [
        ("Coopérative École élémentaire Jules-Ferry (Niort)", "", "123,45"),
        ("Fournisseurs", "123,45", ""),
    ]


def test_every_kind_of_account_has_a_readable_name(ad, cooperative):
    campaign = succeeded_campaign(cooperative, title="Les petits jardiniers")
    accounts = {
        AccountKind.COOPERATIVE: services.ledger_account(AccountKind.COOPERATIVE, cooperative=cooperative),
        AccountKind.CAMPAIGN_FUND: services.ledger_account(AccountKind.CAMPAIGN_FUND, campaign=campaign),
        AccountKind.AD: services.ledger_account(AccountKind.AD, ad=ad),
        AccountKind.STRIPE_CLEARING: services.ledger_account(AccountKind.STRIPE_CLEARING),
        AccountKind.FEES: services.ledger_account(AccountKind.FEES),
        AccountKind.DISPUTES: services.ledger_account(AccountKind.DISPUTES),
        AccountKind.SUPPLIERS: services.ledger_account(AccountKind.SUPPLIERS),
    }
    assert set(accounts) == set(AccountKind.values)  # a new kind must be named here too
    # One movement through every kind, so the cooperative's export carries them all.
    others = [account for kind, account in accounts.items() if kind != AccountKind.COOPERATIVE]
    services.ledger_post(
        kind=TransactionKind.ADJUSTMENT,
        key="test:every-account",
        reference="test",
        memo="Toutes les sortes de comptes",
        entries=[(accounts[AccountKind.COOPERATIVE], -100 * len(others)), *[(account, 100) for account in others]],
    )
    today = timezone.localdate()
    rows = _rows(exports.books_csv(selectors.cooperative_books_entries(cooperative=cooperative, start=today, end=today)))
    names = {row[-1]: row[2] for row in rows[1:]}
    assert names == {
        f"cooperative:{cooperative.pk}": f"Coopérative {cooperative.school_name} ({cooperative.city})",
        f"campaign_fund:{campaign.pk}": "Fonds du projet « Les petits jardiniers »",
        f"ad:{ad.pk}": "Association départementale OCCE Deux-Sèvres (79)",
        "stripe_clearing": "Stripe – fonds en transit",
        "fees": "Frais de paiement",
        "disputes": "Paiements contestés – fonds gelés",
        "suppliers": "Fournisseurs",
    }


def test_a_name_that_looks_like_a_formula_stays_text(client, cooperative, mandataire, treasurer):
    campaign = _funded(cooperative, treasurer, title="=HYPERLINK(\"http://x\")")
    client.force_login(mandataire)
    rows = _export(client, cooperative)
    fund = next(row for row in rows if row[-1] == f"campaign_fund:{campaign.pk}")
    assert fund[2] == "Fonds du projet « =HYPERLINK(\"http://x\") »"
    assert fund[5] == "'=HYPERLINK(\"http://x\")"  # the project column, a cell of its own, is escaped


def test_the_export_costs_the_same_queries_whatever_the_number_of_entries(client, cooperative, mandataire, treasurer, django_assert_max_num_queries):
    first = _funded(cooperative, treasurer)
    _paid_expense(mandataire, first, treasurer)
    client.force_login(mandataire)
    with CaptureQueriesContext(connection) as few:
        small = _export(client, cooperative)

    # Four more projects, each with its own fund account, an expense and a refund to the AD.
    for _index in range(4):
        campaign = _funded(cooperative, treasurer)
        _paid_expense(mandataire, campaign, treasurer, amount_cents=5_000)
        services.campaign_refund_to_ad(actor=mandataire, campaign=campaign, amount_cents=1_000, reason="Reliquat")
    with django_assert_max_num_queries(len(few.captured_queries)):
        large = _export(client, cooperative)
    assert len(large) > 4 * len(small)
    assert len({row[-1] for row in large[1:]}) == 2 + 5 + 1  # cooperative, suppliers, five funds, the AD


def test_the_api_export_has_the_same_columns(cooperative, mandataire):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(mandataire)
    today = timezone.localdate().isoformat()
    response = api.get(f"/api/v1/books/cooperatives/{cooperative.pk}/export.csv", {"start": today, "end": today})
    assert response.status_code == 200
    assert _rows(response.content)[0] == HEADER

