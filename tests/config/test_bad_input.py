"""Inputs that used to answer 500: each now gets a readable 4xx."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests import factories
from trousse.campaigns.models import Status

pytestmark = pytest.mark.django_db


def test_a_non_numeric_ad_is_a_404_not_a_500(client, treasurer):
    client.force_login(treasurer)
    assert client.get(reverse("books_disbursements") + "?ad=abc").status_code == 404
    api = APIClient()
    api.force_authenticate(treasurer)
    assert api.get("/api/v1/books/disbursements/to-disburse/?ad=abc").status_code == 404


def test_a_budget_line_beyond_a_billion_euros_is_refused(cooperative, teacher):
    api = APIClient()
    api.force_authenticate(teacher)
    response = api.post(
        "/api/v1/campaigns/create/",
        {
            "cooperative": cooperative.pk,
            "title": "Un projet",
            "summary": "Résumé",
            "description": "Texte",
            "theme": "sport",
            "school_level": "elementaire",
            "pupils_count": 20,
            "minimum_goal_cents": 10_000,
            "optimum_goal_cents": 15_000,
            "start_date": "2026-12-01",
            "deadline": "2026-12-20",
            "budget_lines": [{"label": "Car", "category": "transport", "amount_cents": 10**30}],
        },
        format="json",
    )
    assert response.status_code == 400


def test_a_unicode_digit_amount_on_the_donation_form_is_a_clear_error(client):
    campaign = factories.CampaignFactory(status=Status.LIVE)
    response = client.post(
        reverse("donation_create", kwargs={"slug": campaign.slug}),
        {"amount_choice": "²", "first_name": "A", "last_name": "B", "email": "a@example.org", "method": "card", "donor_type": "individual"},
    )
    assert response.status_code == 400
