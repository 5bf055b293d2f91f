"""The books' pages: what the mandataire, the treasurer and the public see."""


import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils import timezone

from tests import factories
from trousse.campaigns.models import Status
from trousse.ledger import services
from trousse.ledger.models import BatchStatus, Expense, ExpensePaymentMethod, ExpenseStatus

from .conftest import jpeg_bytes
from .helpers import assert_ledger_ok, succeeded_campaign


def test_mandataire_records_an_expense_and_the_budget_changes(client, mandataire, funded_campaign):
    client.force_login(mandataire)
    url = reverse("books_campaign", kwargs={"slug": funded_campaign.slug})
    page = client.get(url)
    assert page.status_code == 200 and "Enregistrer une dépense" in page.content.decode()
    line = funded_campaign.budget_lines.first()
    response = client.post(
        reverse("books_expense_create", kwargs={"slug": funded_campaign.slug}),
        {
            "budget_line": line.pk,
            "date": timezone.localdate().isoformat(),
            "supplier": "Cars du Marais",
            "amount": "450,50",
            "payment_method": ExpensePaymentMethod.TRANSFER,
            "receipt": SimpleUploadedFile("ticket.jpg", jpeg_bytes(), content_type="image/jpeg"),
            "submit_now": "1",
        },
    )
    assert response.status_code == 302
    expense = Expense.objects.get()
    assert expense.status == ExpenseStatus.SUBMITTED and expense.amount_cents == 45_050
    page = client.get(url).content.decode()
    assert "450,50" in page and "Cars du Marais" in page
    receipt = client.get(reverse("books_expense_receipt", kwargs={"expense_id": expense.pk}))
    assert receipt.status_code == 200 and receipt["Content-Type"] == "image/jpeg"


def test_a_refused_submission_saves_nothing_so_the_retry_leaves_no_duplicate(client, mandataire, funded_campaign, settings, tmp_path):
    client.force_login(mandataire)
    form = {
        "budget_line": funded_campaign.budget_lines.first().pk,
        "date": timezone.localdate().isoformat(),
        "supplier": "Cars Niortais",
        # More than the money the cooperative received for the project: the submission is refused.
        "amount": "500000",
        "payment_method": ExpensePaymentMethod.TRANSFER,
        "receipt": SimpleUploadedFile("ticket.jpg", jpeg_bytes(), content_type="image/jpeg"),
        "submit_now": "1",
    }
    response = client.post(reverse("books_expense_create", kwargs={"slug": funded_campaign.slug}), form)
    assert response.status_code == 400
    assert escape("dépasserait l'argent versé") in response.content.decode()
    assert not Expense.objects.exists()
    # The receipt file went with it.
    assert not [path for path in (tmp_path / "media").rglob("*") if path.is_file()]

    form.update(amount="450", receipt=SimpleUploadedFile("ticket.jpg", jpeg_bytes(), content_type="image/jpeg"))
    assert client.post(reverse("books_expense_create", kwargs={"slug": funded_campaign.slug}), form).status_code == 302
    assert Expense.objects.get().status == ExpenseStatus.SUBMITTED


def test_a_refused_receipt_shows_its_reason_on_the_form(client, mandataire, funded_campaign):
    client.force_login(mandataire)
    response = client.post(
        reverse("books_expense_create", kwargs={"slug": funded_campaign.slug}),
        {
            "budget_line": funded_campaign.budget_lines.first().pk,
            "date": timezone.localdate().isoformat(),
            "supplier": "X",
            "amount": "10",
            "payment_method": "card",
            "receipt": SimpleUploadedFile("facture.pdf", b"%PDF-pas vraiment", content_type="application/pdf"),
        },
    )
    assert response.status_code == 400
    assert "PDF valide" in response.content.decode()
    assert not Expense.objects.exists()


def test_pages_are_hidden_from_other_cooperatives(client, ad, funded_campaign):
    stranger = factories.mandataire_of(factories.CooperativeFactory(ad=ad))
    client.force_login(stranger)
    assert client.get(reverse("books_campaign", kwargs={"slug": funded_campaign.slug})).status_code == 404
    assert client.get(reverse("books_export", kwargs={"cooperative_id": funded_campaign.cooperative_id})).status_code == 404
    assert client.get(reverse("books_disbursements")).status_code == 404


def test_treasurer_prepares_downloads_and_confirms_a_batch(client, ad, cooperative, treasurer):
    campaign = succeeded_campaign(cooperative)
    client.force_login(treasurer)
    page = client.get(reverse("books_disbursements"))
    assert escape(campaign.title) in page.content.decode()
    response = client.post(reverse("books_disbursements"), {"ad": ad.pk, "campaigns": [campaign.pk], f"amount_{campaign.pk}": "600"})
    assert response.status_code == 302
    batch = campaign.disbursement_items.get().batch
    xml = client.get(reverse("books_batch_file", kwargs={"batch_id": batch.pk, "kind": "xml"}))
    assert b"pain.001.001.03" in xml.content and b"600.00" in xml.content
    assert client.get(reverse("books_batch_file", kwargs={"batch_id": batch.pk, "kind": "pdf"})).content.startswith(b"%PDF")
    client.post(reverse("books_batch", kwargs={"batch_id": batch.pk}), {"action": "execute", "execute-confirm": "on"})
    batch.refresh_from_db()
    assert batch.status == BatchStatus.EXECUTED
    assert_ledger_ok()
    # 500 € remain to disburse, shown on the page.
    assert "500,00" in client.get(reverse("books_disbursements")).content.decode()


def test_books_csv_export_for_french_accounting_software(client, mandataire, funded_campaign):
    expense = services.expense_create(
        actor=mandataire,
        campaign=funded_campaign,
        budget_line=funded_campaign.budget_lines.first(),
        date=timezone.localdate(),
        supplier="=HYPERLINK(\"http://x\")",
        amount_cents=12_345,
        payment_method=ExpensePaymentMethod.CARD,
        receipt=SimpleUploadedFile("t.jpg", jpeg_bytes(), content_type="image/jpeg"),
    )
    services.expense_submit(actor=mandataire, expense=expense)
    services.expense_approve(actor=factories.treasurer_of(funded_campaign.cooperative.ad), expense=expense)
    services.expense_pay(actor=mandataire, expense=expense)
    client.force_login(mandataire)
    today = timezone.localdate().isoformat()
    response = client.get(reverse("books_export", kwargs={"cooperative_id": funded_campaign.cooperative_id}), {"start": today, "end": today, "file": "csv"})
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Date;Libellé;Compte;Débit;Crédit;Projet;Référence justificatif;Code compte"
    expense_lines = [line for line in lines if expense.receipt_reference in line]
    assert len(expense_lines) == 2  # the cooperative's credit and the suppliers' debit
    assert any(";123,45;" in line for line in expense_lines)
    assert all("'=HYPERLINK" in line for line in expense_lines)  # no formula injection
    assert any(";1100,00;" in line for line in lines)  # the disbursement received


def test_public_spending_shows_totals_per_line_never_receipts(mandataire, teacher, funded_campaign):
    expense = services.expense_create(
        actor=mandataire,
        campaign=funded_campaign,
        budget_line=funded_campaign.budget_lines.first(),
        date=timezone.localdate(),
        supplier="Cars du Marais",
        amount_cents=55_000,
        payment_method=ExpensePaymentMethod.TRANSFER,
        receipt=SimpleUploadedFile("t.jpg", jpeg_bytes(), content_type="image/jpeg"),
    )
    services.expense_submit(actor=mandataire, expense=expense)
    services.expense_approve(actor=factories.treasurer_of(funded_campaign.cooperative.ad), expense=expense)
    services.expense_pay(actor=mandataire, expense=expense)
    services.final_report_save(actor=teacher, campaign=funded_campaign, body="Les élèves ont vu **la mer**.", publish=True)
    html = render_to_string("frontend/books/_public_spending.html", {"campaign": funded_campaign})
    assert "Où est allé l'argent" in html and "550,00" in html and "<strong>la mer</strong>" in html
    assert "Cars du Marais" not in html and "receipts/" not in html
    live = factories.CampaignFactory(cooperative=funded_campaign.cooperative, status=Status.LIVE)
    assert render_to_string("frontend/books/_public_spending.html", {"campaign": live}).strip() == ""


@pytest.mark.parametrize("role", ["teacher", "animator", "treasurer"])
def test_others_with_a_view_see_the_budget_but_no_expense_form(client, role, request, funded_campaign):
    client.force_login(request.getfixturevalue(role))
    page = client.get(reverse("books_campaign", kwargs={"slug": funded_campaign.slug}))
    assert page.status_code == 200
    assert "budget" in page.content.decode() and "Enregistrer une dépense" not in page.content.decode()


