"""The mandataire records an expense with a receipt picture, and sees the budget view change (owned by the books work)."""

import io

import pytest
from PIL import Image

from tests import factories
from tests.ledger.helpers import assert_ledger_ok, succeeded_campaign
from trousse.ledger import services
from trousse.ledger.models import Expense, ExpenseStatus

pytestmark = pytest.mark.e2e


def _receipt_photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 480), (245, 245, 235)).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture
def funded(transactional_db):
    ad = factories.DepartmentalAssociationFactory(number="79", name="OCCE Deux-Sèvres")
    cooperative = factories.CooperativeFactory(ad=ad, school_name="École Jules-Ferry", city="Niort")
    mandataire = factories.mandataire_of(cooperative, email="tresorerie.jules-ferry@example.org", first_name="Anne", last_name="Roux")
    treasurer = factories.treasurer_of(ad, email="tresorier@occe79.example.org")
    campaign = succeeded_campaign(cooperative)
    batch = services.disbursement_batch_create(actor=treasurer, ad=ad, requests=[services.DisbursementRequest(campaign=campaign, amount_cents=110_000)])
    services.disbursement_batch_execute(actor=treasurer, batch=batch)
    return {"campaign": campaign, "mandataire": mandataire, "treasurer": treasurer}


def test_mandataire_records_an_expense_with_a_receipt_photo(page, log_in, funded):
    campaign = funded["campaign"]
    transport = campaign.budget_lines.get(label="Transport en car")
    log_in("tresorerie.jules-ferry@example.org")
    page.goto(f"/espace/comptes/projets/{campaign.slug}/")
    row = page.locator(f'#budget tr[data-line="{transport.pk}"]')
    assert row.locator(".committed").inner_text().startswith("0,00")

    page.get_by_label("Ligne de budget").select_option(str(transport.pk))
    page.get_by_label("Fournisseur").fill("Cars du Marais")
    page.get_by_label("Montant (€)").fill("450,50")
    page.get_by_label("Moyen de paiement").select_option("transfer")
    page.get_by_label("Justificatif (photo ou PDF, 10 Mo au plus)").set_input_files(
        {"name": "ticket-car.jpg", "mimeType": "image/jpeg", "buffer": _receipt_photo()}
    )
    page.get_by_role("button", name="Enregistrer la dépense").click()
    page.wait_for_selector(".messages .success")

    # Submitted: the line shows it as committed, 149,50 € left of its 600 €.
    assert row.locator(".committed").inner_text().startswith("450,50")
    assert row.locator(".remaining").inner_text().startswith("149,50")
    expense = Expense.objects.get()
    assert expense.status == ExpenseStatus.SUBMITTED and expense.receipt

    # The AD treasurer approves it; the mandataire records the payment and the line's spending moves.
    services.expense_approve(actor=funded["treasurer"], expense=expense)
    page.get_by_role("link", name="Cars du Marais").first.click()
    page.get_by_role("button", name="Marquer comme payée").click()
    page.wait_for_selector(".messages .success")
    page.get_by_role("link", name=campaign.title).click()
    assert row.locator(".spent").inner_text().startswith("450,50")
    assert page.locator("#total-spent").inner_text().startswith("450,50")
    assert_ledger_ok()
