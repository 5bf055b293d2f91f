"""The books' tables scroll inside their own box on a phone (see tests/frontend/test_wide_tables.py)."""

import pytest
from django.urls import reverse

from tests.frontend.test_wide_tables import assert_tables_scroll_in_their_box
from trousse.ledger.models import ExpensePaymentMethod

from .helpers import expense_of, succeeded_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted_expense(mandataire, funded_campaign):
    return expense_of(mandataire, funded_campaign, amount_cents=12_345, payment_method=ExpensePaymentMethod.CARD)


def test_the_books_home_and_a_campaigns_books(client, treasurer, funded_campaign, submitted_expense):
    client.force_login(treasurer)
    # The expenses to approve and the funded campaigns.
    assert_tables_scroll_in_their_box(client.get(reverse("books_home")), at_least=2)
    # The budget per line and the expenses.
    assert_tables_scroll_in_their_box(client.get(reverse("books_campaign", kwargs={"slug": funded_campaign.slug})), at_least=2)


def test_the_disbursements_and_a_batch(client, ad, cooperative, treasurer, funded_campaign):
    succeeded_campaign(cooperative, title="Classe verte au marais")
    client.force_login(treasurer)
    # Funds still to pay out and the batches already made (funded_campaign's).
    assert_tables_scroll_in_their_box(client.get(reverse("books_disbursements")), at_least=2)
    batch = funded_campaign.disbursement_items.get().batch
    assert_tables_scroll_in_their_box(client.get(reverse("books_batch", kwargs={"batch_id": batch.pk})))
