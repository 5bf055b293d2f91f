"""Money actions on the books' pages: a ticked box before they move money, and a message saying what they did."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from tests import factories
from trousse.ledger import selectors, services
from trousse.ledger.models import BatchStatus, Expense, ExpensePaymentMethod, ExpenseStatus, ExpenseTransition, LedgerTransaction
from trousse.money import format_euros

from .conftest import jpeg_bytes
from .helpers import assert_ledger_ok, expense_of, succeeded_campaign


def _page(response) -> str:
    return response.content.decode()


def _batch(treasurer, ad, *pairs):
    return services.disbursement_batch_create(actor=treasurer, ad=ad, requests=[services.DisbursementRequest(campaign=c, amount_cents=a) for c, a in pairs])


# --- disbursement batches ---------------------------------------------------------------


def test_recording_the_transfers_needs_the_ticked_box(client, ad, cooperative, other_cooperative, treasurer):
    first, second = succeeded_campaign(cooperative), succeeded_campaign(other_cooperative, raised_cents=50_050)
    batch = _batch(treasurer, ad, (first, 110_000), (second, 50_050))
    url = reverse("books_batch", kwargs={"batch_id": batch.pk})
    client.force_login(treasurer)
    total = format_euros(160_050, with_cents=True)
    page = _page(client.get(url))
    assert 'name="execute-confirm"' in page
    assert escape(f"Je confirme que la banque a exécuté ces virements (total : {total})") in page
    transactions = LedgerTransaction.objects.count()

    refused = client.post(url, {"action": "execute"})
    assert refused.status_code == 400
    assert _page(refused).count(escape("Cochez la case pour confirmer que la banque a exécuté ces virements : rien n'a été enregistré.")) == 1
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PREPARED and batch.executed_at is None
    assert LedgerTransaction.objects.count() == transactions
    assert selectors.campaign_money(campaign=first).disbursed_cents == 0
    assert_ledger_ok()

    done = client.post(url, {"action": "execute", "execute-confirm": "on"}, follow=True)
    assert done.redirect_chain[-1][1] == 302
    assert escape(f"Virements enregistrés : {total} versés à 2 coopératives.") in _page(done)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.EXECUTED
    assert selectors.campaign_money(campaign=first).disbursed_cents == 110_000
    assert selectors.campaign_money(campaign=second).disbursed_cents == 50_050
    assert_ledger_ok()


def test_one_cooperative_is_said_in_the_singular(client, ad, cooperative, treasurer):
    batch = _batch(treasurer, ad, (succeeded_campaign(cooperative), 60_000))
    client.force_login(treasurer)
    done = client.post(reverse("books_batch", kwargs={"batch_id": batch.pk}), {"action": "execute", "execute-confirm": "on"}, follow=True)
    assert escape(f"Virements enregistrés : {format_euros(60_000, with_cents=True)} versés à 1 coopérative.") in _page(done)


def test_cancelling_a_batch_needs_the_ticked_box(client, ad, cooperative, treasurer):
    campaign = succeeded_campaign(cooperative)
    batch = _batch(treasurer, ad, (campaign, 110_000))
    url = reverse("books_batch", kwargs={"batch_id": batch.pk})
    client.force_login(treasurer)
    assert escape("Je confirme l'annulation de ce lot") in _page(client.get(url))

    # The other form's box does not confirm this one.
    refused = client.post(url, {"action": "cancel", "execute-confirm": "on"})
    assert refused.status_code == 400
    assert _page(refused).count(escape("Cochez la case pour confirmer l'annulation : le lot n'a pas été annulé.")) == 1
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PREPARED and batch.cancelled_at is None
    assert selectors.campaign_money(campaign=campaign).reserved_cents == 110_000
    assert_ledger_ok()

    done = client.post(url, {"action": "cancel", "cancel-confirm": "on"}, follow=True)
    assert escape("Lot annulé : aucun virement n'est enregistré, ses projets peuvent être versés dans un autre lot.") in _page(done)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.CANCELLED
    assert selectors.campaign_money(campaign=campaign).reserved_cents == 0
    assert_ledger_ok()


def test_the_batch_is_named_with_a_24_hour_clock(client, ad, cooperative, treasurer, monkeypatch):
    campaign = succeeded_campaign(cooperative)
    afternoon = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(13, 58, 44)))
    monkeypatch.setattr(timezone, "now", lambda: afternoon)
    batch = _batch(treasurer, ad, (campaign, 110_000))
    monkeypatch.undo()
    assert timezone.localtime(batch.created_at) == afternoon
    assert batch.message_id.startswith(f"{afternoon:%Y%m%d}135844-")
    assert len(batch.message_id) <= 35
    # The file the bank receives carries the name the page shows.
    assert f"<MsgId>{batch.message_id}</MsgId>" in batch.sepa_xml
    client.force_login(treasurer)
    assert f"Lot {batch.message_id}" in _page(client.get(reverse("books_batch", kwargs={"batch_id": batch.pk})))


# --- expenses -------------------------------------------------------------------------


def test_approving_without_a_receipt_needs_the_ticked_box(client, mandataire, treasurer, funded_campaign):
    expense = expense_of(mandataire, funded_campaign, receipt=False)
    url = reverse("books_expense", kwargs={"expense_id": expense.pk})
    client.force_login(treasurer)
    page = _page(client.get(url))
    assert 'name="without_receipt"' in page and "Approuver sans justificatif" in page

    refused = client.post(url, {"action": "approve", "comment": "Vu avec l'école"})
    assert refused.status_code == 400
    assert _page(refused).count(escape("Cette dépense n'a pas de justificatif : cochez « Approuver sans justificatif »")) == 1
    assert escape("Vu avec l'école") in _page(refused)  # the comment typed is kept
    expense.refresh_from_db()
    assert expense.status == ExpenseStatus.SUBMITTED and expense.approved_at is None
    assert ExpenseTransition.objects.filter(expense=expense).count() == 1  # the submission only

    done = client.post(url, {"action": "approve", "comment": "Vu avec l'école", "without_receipt": "on"}, follow=True)
    assert escape("Dépense approuvée sans justificatif.") in _page(done)
    expense.refresh_from_db()
    assert expense.status == ExpenseStatus.APPROVED and expense.review_comment == "Vu avec l'école"
    # The history keeps it: approved although the receipt was missing.
    assert escape("approuvée – sans justificatif (Vu avec l'école)") in _page(done)
    assert ExpenseTransition.objects.get(expense=expense, to_status=ExpenseStatus.APPROVED).without_receipt


def test_an_expense_with_its_receipt_is_approved_without_the_box(client, mandataire, treasurer, funded_campaign):
    expense = expense_of(mandataire, funded_campaign, receipt=True)
    url = reverse("books_expense", kwargs={"expense_id": expense.pk})
    client.force_login(treasurer)
    assert 'name="without_receipt"' not in _page(client.get(url))
    done = client.post(url, {"action": "approve"}, follow=True)
    assert escape("Dépense approuvée.") in _page(done) and "sans justificatif" not in _page(done)
    expense.refresh_from_db()
    assert expense.status == ExpenseStatus.APPROVED
    assert not ExpenseTransition.objects.get(expense=expense, to_status=ExpenseStatus.APPROVED).without_receipt


@pytest.mark.parametrize(
    ("action", "comment", "status", "message"),
    [
        ("reject", "Facture au nom d'un particulier", ExpenseStatus.REJECTED, "Dépense refusée : Facture au nom d'un particulier"),
        ("incomplete", "Il manque la facture", ExpenseStatus.INCOMPLETE, "Complément demandé : Il manque la facture"),
    ],
)
def test_each_decision_says_what_it_did(client, mandataire, treasurer, funded_campaign, action, comment, status, message):
    expense = expense_of(mandataire, funded_campaign, receipt=True)
    client.force_login(treasurer)
    done = client.post(reverse("books_expense", kwargs={"expense_id": expense.pk}), {"action": action, "comment": comment}, follow=True)
    assert escape(message) in _page(done) and escape("C'est enregistré.") not in _page(done)
    expense.refresh_from_db()
    assert expense.status == status


def test_the_mandataires_actions_say_what_they_did(client, mandataire, treasurer, funded_campaign):
    expense = expense_of(mandataire, funded_campaign, receipt=False, submit=False, amount_cents=45_050)
    url = reverse("books_expense", kwargs={"expense_id": expense.pk})
    client.force_login(mandataire)

    def say(data) -> str:
        response = client.post(url, data, follow=True)
        assert response.redirect_chain, _page(response)
        return _page(response)

    assert escape("Dépense soumise à l'approbation.") in say({"action": "submit"})
    assert escape("Justificatif ajouté.") in say({"action": "receipt", "receipt": SimpleUploadedFile("t.jpg", jpeg_bytes(), content_type="image/jpeg")})
    assert escape("Justificatif remplacé.") in say({"action": "receipt", "receipt": SimpleUploadedFile("t.jpg", jpeg_bytes(), content_type="image/jpeg")})
    services.expense_approve(actor=treasurer, expense=expense)
    assert escape(f"Paiement enregistré : {format_euros(45_050, with_cents=True)} à Cars du Marais.") in say({"action": "pay"})
    today = timezone.localdate().isoformat()
    assert escape("Dépense rapprochée du relevé bancaire.") in say({"action": "reconcile", "statement_date": today, "statement_label": "VIR CARS DU MARAIS"})
    expense.refresh_from_db()
    assert expense.status == ExpenseStatus.PAID and expense.is_reconciled
    assert_ledger_ok()


def _post_tomorrows_expense(client, mandataire, campaign, *, amount: str):
    """The expense form, as the mandataire sends it, dated tomorrow."""
    client.force_login(mandataire)
    return client.post(
        reverse("books_expense_create", kwargs={"slug": campaign.slug}),
        {
            "budget_line": campaign.budget_lines.first().pk,
            "date": (timezone.localdate() + datetime.timedelta(days=1)).isoformat(),
            "supplier": "Cars du Marais",
            "amount": amount,
            "payment_method": ExpensePaymentMethod.TRANSFER,
        },
    )


def test_a_future_date_is_said_once(client, mandataire, funded_campaign):
    response = _post_tomorrows_expense(client, mandataire, funded_campaign, amount="45")
    assert response.status_code == 400
    page = _page(response)
    assert page.count("Une dépense ne peut pas être datée dans le futur.") == 1
    assert "pas valide" not in page
    assert not Expense.objects.exists()


def test_several_mistakes_are_each_said_once_by_their_field(client, mandataire, funded_campaign):
    response = _post_tomorrows_expense(client, mandataire, funded_campaign, amount="0")
    assert response.status_code == 400
    page = _page(response)
    assert page.count("Une dépense ne peut pas être datée dans le futur.") == 1
    assert page.count("Le montant doit être positif.") == 1
    assert "La dépense n&#x27;est pas valide : plusieurs champs sont à corriger." in page
