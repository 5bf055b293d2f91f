"""Who may do what on every books endpoint: 404 for those who must not know it exists, 403 for those who see but may not act."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests import factories
from trousse.ledger import services
from trousse.ledger.models import ExpensePaymentMethod

from .helpers import succeeded_campaign

ROLES = ["mandataire", "other_mandataire", "teacher", "animator", "treasurer", "other_treasurer", "anonymous"]
ANONYMOUS = {401, 403}


@pytest.fixture
def people(ad, other_ad, cooperative, teacher, mandataire, animator, treasurer):
    other_cooperative = factories.CooperativeFactory(ad=ad)
    return {
        "mandataire": mandataire,
        "other_mandataire": factories.mandataire_of(other_cooperative),
        "teacher": teacher,
        "animator": animator,
        "treasurer": treasurer,
        "other_treasurer": factories.treasurer_of(other_ad),
        "anonymous": None,
    }


def client_for(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def books(cooperative, teacher, mandataire, treasurer):
    """A funded campaign with a submitted expense (by the mandataire) and a prepared batch for another one."""
    campaign = succeeded_campaign(cooperative, teacher=teacher)
    batch = services.disbursement_batch_create(actor=treasurer, ad=cooperative.ad, requests=[services.DisbursementRequest(campaign=campaign, amount_cents=110_000)])
    services.disbursement_batch_execute(actor=treasurer, batch=batch)
    expense = services.expense_create(
        actor=mandataire,
        campaign=campaign,
        budget_line=campaign.budget_lines.first(),
        date=timezone.localdate(),
        supplier="Librairie",
        amount_cents=10_000,
        payment_method=ExpensePaymentMethod.CARD,
    )
    services.expense_submit(actor=mandataire, expense=expense)
    other = succeeded_campaign(cooperative, teacher=teacher)
    pending = services.disbursement_batch_create(actor=treasurer, ad=cooperative.ad, requests=[services.DisbursementRequest(campaign=other, amount_cents=1_000)])
    campaign.refresh_from_db()
    return {"campaign": campaign, "expense": expense, "batch": pending, "other": other}


EXPECTED = {
    # endpoint: mandataire, other_mandataire, teacher, animator, treasurer, other_treasurer
    "budget": (200, 404, 200, 200, 200, 404),
    "expense_list": (200, 404, 200, 200, 200, 404),
    "expense_create": (201, 404, 403, 403, 403, 404),
    "expense_detail": (200, 404, 200, 200, 200, 404),
    "expense_approve": (403, 404, 403, 403, 200, 404),
    "reconciliation": (200, 404, 200, 200, 200, 404),
    "refund_to_ad": (400, 404, 403, 403, 403, 404),
    "final_report": (403, 404, 200, 403, 403, 404),
    "batch_list_sees_batch": (False, False, False, False, True, False),
    "batch_detail": (404, 404, 404, 404, 200, 404),
    "batch_sepa": (404, 404, 404, 404, 200, 404),
    "batch_cancel": (404, 404, 404, 404, 200, 404),
    "batch_create": (404, 404, 404, 404, 201, 404),
    "to_disburse": (404, 404, 404, 404, 200, 404),
    "export_csv": (200, 404, 404, 404, 200, 404),
    "receipts_zip": (200, 404, 404, 404, 200, 404),
}


def call(endpoint, client, books, ad):
    slug = books["campaign"].slug
    expense = books["expense"]
    batch = books["batch"]
    cooperative_id = books["campaign"].cooperative_id
    period = {"start": (timezone.localdate() - datetime.timedelta(days=31)).isoformat(), "end": timezone.localdate().isoformat()}
    base = "/api/v1/books"
    match endpoint:
        case "budget":
            return client.get(f"{base}/campaigns/{slug}/budget/")
        case "expense_list":
            return client.get(f"{base}/campaigns/{slug}/expenses/")
        case "expense_create":
            data = {"budget_line": books["campaign"].budget_lines.first().pk, "date": timezone.localdate().isoformat(), "supplier": "Papeterie", "amount": "12,50", "payment_method": "card"}
            return client.post(f"{base}/campaigns/{slug}/expenses/create/", data, format="multipart")
        case "expense_detail":
            return client.get(f"{base}/expenses/{expense.pk}/")
        case "expense_approve":
            # The expense has no receipt: the confirmation is given, so only the right to approve is tested here.
            return client.post(f"{base}/expenses/{expense.pk}/approve/", {"without_receipt": True}, format="json")
        case "reconciliation":
            return client.get(f"{base}/campaigns/{slug}/reconciliation/")
        case "refund_to_ad":
            # 400 for the mandataire: 2 000 € is more than the cooperative holds for the project.
            return client.post(f"{base}/campaigns/{slug}/refund-to-ad/", {"amount": "2000", "reason": "reliquat"}, format="json")
        case "final_report":
            return client.post(f"{base}/campaigns/{slug}/final-report/", {"body": "Bilan"}, format="json")
        case "batch_list_sees_batch":
            response = client.get(f"{base}/disbursements/")
            return response
        case "batch_detail":
            return client.get(f"{base}/disbursements/{batch.pk}/")
        case "batch_sepa":
            return client.get(f"{base}/disbursements/{batch.pk}/sepa.xml")
        case "batch_cancel":
            return client.post(f"{base}/disbursements/{batch.pk}/cancel/")
        case "batch_create":
            third = succeeded_campaign(books["campaign"].cooperative)
            return client.post(f"{base}/disbursements/create/", {"ad": ad.pk, "items": [{"campaign": third.slug, "amount": 5000}]}, format="json")
        case "to_disburse":
            return client.get(f"{base}/disbursements/to-disburse/", {"ad": ad.pk})
        case "export_csv":
            return client.get(f"{base}/cooperatives/{cooperative_id}/export.csv", period)
        case "receipts_zip":
            return client.get(f"{base}/cooperatives/{cooperative_id}/receipts.zip", period)
    raise AssertionError(endpoint)


@pytest.mark.parametrize("role", ROLES)
def test_authorisation_matrix(role, people, books, ad):
    """Every endpoint for one role, in an order where a permitted write never changes a later expectation."""
    client = client_for(people[role])
    wrong = []
    for endpoint, expectations in EXPECTED.items():
        response = call(endpoint, client, books, ad)
        if role == "anonymous":
            if response.status_code not in ANONYMOUS:
                wrong.append((endpoint, response.status_code, "401/403"))
            continue
        expected = expectations[ROLES.index(role)]
        if endpoint == "batch_list_sees_batch":
            sees = response.status_code == 200 and books["batch"].pk in [batch["id"] for batch in response.json()]
            if sees is not expected:
                wrong.append((endpoint, response.status_code, f"sees the batch: {expected}"))
        elif response.status_code != expected:
            wrong.append((endpoint, response.status_code, expected, response.content[:200]))
    assert not wrong, wrong
