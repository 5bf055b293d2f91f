"""Approving an expense without its receipt takes an explicit confirmation, whether on the page or through the API."""

import pytest
from django.core.exceptions import PermissionDenied
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from trousse.exceptions import ApplicationError
from trousse.ledger import services
from trousse.ledger.models import Expense, ExpenseStatus, ExpenseTransition

from .helpers import expense_of

MISSING = "Cette dépense n'a pas de justificatif : cochez « Approuver sans justificatif » pour l'approuver quand même, ou demandez un complément."


def _approval(expense: Expense) -> ExpenseTransition:
    return ExpenseTransition.objects.get(expense=expense, to_status=ExpenseStatus.APPROVED)


# --- the service ---------------------------------------------------------------------


def test_the_service_refuses_an_expense_without_receipt_unless_confirmed(mandataire, treasurer, funded_campaign):
    expense = expense_of(mandataire, funded_campaign, receipt=False)
    # The submitter may never approve: they hear that first, not "tick the box".
    with pytest.raises(PermissionDenied):
        services.expense_approve(actor=mandataire, expense=expense, without_receipt_confirmed=False)

    with pytest.raises(ApplicationError) as refused:
        services.expense_approve(actor=treasurer, expense=expense, comment="Vu avec l'école")
    assert refused.value.status_code == 400
    assert refused.value.message == MISSING
    assert refused.value.field_errors == {"without_receipt": MISSING}
    expense.refresh_from_db()
    assert expense.status == ExpenseStatus.SUBMITTED and expense.approved_at is None and expense.review_comment == ""
    assert not ExpenseTransition.objects.filter(expense=expense, to_status=ExpenseStatus.APPROVED).exists()

    approved = services.expense_approve(actor=treasurer, expense=expense, comment="Vu avec l'école", without_receipt_confirmed=True)
    assert approved.status == ExpenseStatus.APPROVED and approved.approved_by == treasurer
    # The audit trail says the receipt was missing when it was approved.
    transition = _approval(expense)
    assert transition.without_receipt and transition.actor == treasurer and transition.comment == "Vu avec l'école"


def test_an_expense_with_its_receipt_needs_no_confirmation(mandataire, treasurer, funded_campaign):
    expense = expense_of(mandataire, funded_campaign, receipt=True)
    assert services.expense_approve(actor=treasurer, expense=expense).status == ExpenseStatus.APPROVED
    assert not _approval(expense).without_receipt


def test_a_confirmation_given_for_an_expense_that_has_its_receipt_is_not_recorded(mandataire, treasurer, funded_campaign):
    expense = expense_of(mandataire, funded_campaign, receipt=True)
    services.expense_approve(actor=treasurer, expense=expense, without_receipt_confirmed=True)
    assert not _approval(expense).without_receipt


# --- the API -------------------------------------------------------------------------


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _approve_url(expense: Expense) -> str:
    return f"/api/v1/books/expenses/{expense.pk}/approve/"


def test_the_api_refuses_an_expense_without_receipt_without_the_flag(mandataire, treasurer, funded_campaign):
    expense = expense_of(mandataire, funded_campaign, receipt=False)
    response = _api(treasurer).post(_approve_url(expense), {"comment": "Vu avec l'école"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": MISSING, "fields": {"without_receipt": MISSING}}
    expense.refresh_from_db()
    assert expense.status == ExpenseStatus.SUBMITTED and expense.approved_at is None

    # An explicit "no" is no confirmation either.
    assert _api(treasurer).post(_approve_url(expense), {"without_receipt": False}, format="json").status_code == 400


def test_the_api_approves_an_expense_without_receipt_with_the_flag(mandataire, treasurer, funded_campaign):
    expense = expense_of(mandataire, funded_campaign, receipt=False)
    response = _api(treasurer).post(_approve_url(expense), {"comment": "Vu avec l'école", "without_receipt": True}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == ExpenseStatus.APPROVED and response.json()["has_receipt"] is False
    assert _approval(expense).without_receipt


def test_the_api_reads_the_flag_from_a_form_post_too(mandataire, treasurer, funded_campaign):
    expense = expense_of(mandataire, funded_campaign, receipt=False)
    assert _api(treasurer).post(_approve_url(expense), {"without_receipt": "true"}).status_code == 200
    assert _approval(expense).without_receipt


def test_the_api_approves_an_expense_with_its_receipt_without_the_flag(mandataire, treasurer, funded_campaign):
    expense = expense_of(mandataire, funded_campaign, receipt=True)
    response = _api(treasurer).post(_approve_url(expense), {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == ExpenseStatus.APPROVED
    assert not _approval(expense).without_receipt


def test_the_schema_documents_the_flag():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    body = schema["paths"]["/api/v1/books/expenses/{expense_id}/approve/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    properties = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]["properties"]
    assert properties["without_receipt"]["type"] == "boolean"
    assert properties["without_receipt"]["default"] is False
    assert "sans justificatif" in properties["without_receipt"]["description"]
