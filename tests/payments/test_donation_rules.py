"""What the donation form accepts and refuses, and the card-testing guard."""

import pytest
from django.urls import reverse

from tests import factories
from tests.payments.conftest import donation_form
from trousse.campaigns.models import Status
from trousse.exceptions import ApplicationError, ConflictError
from trousse.payments import gateway
from trousse.payments.models import Donation
from trousse.payments.ratelimits import rate_window_seconds
from trousse.payments.services import donation_create

pytestmark = pytest.mark.django_db

DONOR = {"first_name": "Jeanne", "last_name": "Petit", "email": "jeanne@example.org"}


def _errors(campaign, **fields):
    with pytest.raises(ApplicationError) as caught:
        donation_create(campaign=campaign, **{"amount_cents": 2000, **DONOR, **fields})
    return caught.value.field_errors


def test_minimum_is_five_euros(live_campaign):
    assert "5" in _errors(live_campaign, amount_cents=499)["amount"]


@pytest.mark.parametrize(("language", "stored"), [(None, "fr"), ("en", "en"), ("en-gb", "en"), ("fr-BE", "fr"), ("de", "fr"), ("", "fr")])
def test_the_donation_keeps_a_language_of_the_site(live_campaign, language, stored):
    # Its e-mails are rendered in it: never a code the site has no catalogue for.
    assert donation_create(campaign=live_campaign, amount_cents=2000, language=language, **DONOR).language == stored


def test_not_more_than_what_is_left_to_the_optimum(live_campaign):
    type(live_campaign).objects.filter(pk=live_campaign.pk).update(raised_cents=140_000)
    live_campaign.refresh_from_db()
    assert "100" in _errors(live_campaign, amount_cents=10_001)["amount"]
    assert donation_create(campaign=live_campaign, amount_cents=10_000, **DONOR).amount_cents == 10_000


def test_business_needs_company_name_and_a_valid_siret(live_campaign):
    errors = _errors(live_campaign, donor_type="business", siret="12345678901234")
    assert "company_name" in errors and "SIRET" in errors["siret"]
    donation = donation_create(campaign=live_campaign, amount_cents=2000, donor_type="business", company_name="Boulangerie Niortaise", siret="732 829 320 00074", **DONOR)
    assert donation.siret == "73282932000074"


def test_tax_receipt_needs_the_postal_address(live_campaign):
    errors = _errors(live_campaign, wants_tax_receipt=True)
    assert set(errors) == {"address_line", "postal_code", "city"}


def test_a_parent_of_a_pupil_gets_no_tax_receipt(live_campaign):
    donation = donation_create(campaign=live_campaign, amount_cents=2000, wants_tax_receipt=True, is_parent_of_pupil=True, **DONOR)
    assert donation.wants_tax_receipt is False and donation.is_parent_of_pupil is True


def test_only_live_campaigns_take_donations(campaign):
    with pytest.raises(ConflictError):
        donation_create(campaign=campaign, amount_cents=2000, **DONOR)


def test_form_errors_are_shown_without_a_500(client, live_campaign):
    response = client.post(reverse("donation_create", kwargs={"slug": live_campaign.slug}), donation_form(amount_other="3,999", email="pas-une-adresse"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "deux décimales" in page or "montant" in page
    assert not Donation.objects.exists()


def test_donation_page_shows_the_form_for_a_live_campaign_only(client, live_campaign, campaign):
    page = client.get(reverse("donation_page", kwargs={"slug": live_campaign.slug}))
    assert page.status_code == 200 and "data-donation-form" in page.content.decode()
    assert client.get(reverse("donation_page", kwargs={"slug": campaign.slug})).status_code == 404  # a draft is not public


def test_parent_note_is_on_the_form(client, live_campaign):
    page = client.get(reverse("donation_page", kwargs={"slug": live_campaign.slug})).content.decode()
    assert "parent d&#x27;un élève de la classe" in page or "parent d'un élève de la classe" in page
    assert "reçu fiscal" in page


@pytest.fixture
def stripe_calls(monkeypatch):
    """The card payments that reached Stripe (the gateway, faked: each one declined)."""
    calls = []

    def card_payment_create(**kwargs):
        calls.append(kwargs)
        return gateway.PaymentAttempt(intent=None, declined=True, decline_message="Your card was declined.", decline_code="card_declined")

    monkeypatch.setattr(gateway, "card_payment_create", card_payment_create)
    return calls


def _attempt(client, campaign, **extra):
    return client.post(reverse("donation_create", kwargs={"slug": campaign.slug}), donation_form(card_payment_method="card_test"), HTTP_ACCEPT="application/json", **extra)


def test_rate_limit_answers_429_and_says_how_long_to_wait(client, live_campaign, settings, stripe_calls):
    settings.DONATION_RATELIMIT_PER_IP = "3/m"
    responses = [_attempt(client, live_campaign) for _ in range(5)]
    assert [r.status_code for r in responses] == [201, 201, 201, 429, 429]
    assert len(stripe_calls) == 3, "a limited attempt never reaches Stripe"
    assert Donation.objects.count() == 3, "a limited attempt leaves no row"
    assert "1 minute" in responses[3].json()["detail"] and responses[3]["Retry-After"] == "60"
    page = client.post(reverse("donation_create", kwargs={"slug": live_campaign.slug}), donation_form(card_payment_method="card_test"))
    assert page.status_code == 429 and "Trop de tentatives" in page.content.decode() and "1 minute" in page.content.decode()


def test_refused_forms_do_not_count_against_the_limit(client, live_campaign, stripe_calls):
    # A family on the school's Wi-Fi mistypes an e-mail eleven times: the twelfth, right, goes through.
    url = reverse("donation_create", kwargs={"slug": live_campaign.slug})
    refused = [client.post(url, donation_form(email="pas-une-adresse", card_payment_method="card_test"), HTTP_ACCEPT="application/json") for _ in range(11)]
    assert {r.status_code for r in refused} == {400} and all("email" in r.json()["fields"] for r in refused)
    assert _attempt(client, live_campaign).status_code == 201
    assert len(stripe_calls) == 1


def test_attempts_that_reach_stripe_are_limited_to_ten_in_ten_minutes(client, live_campaign, stripe_calls):
    statuses = [_attempt(client, live_campaign).status_code for _ in range(11)]
    assert statuses == [201] * 10 + [429]
    assert len(stripe_calls) == 10
    response = _attempt(client, live_campaign)
    assert response.status_code == 429 and "10 minutes" in response.json()["detail"] and response["Retry-After"] == "600"


def test_a_mistyped_iban_costs_nothing_and_leaves_no_row(client, live_campaign, settings):
    settings.DONATION_RATELIMIT_PER_IP = "1/m"
    url = reverse("donation_create", kwargs={"slug": live_campaign.slug})
    for _ in range(3):
        response = client.post(url, donation_form(method="sepa_debit", iban="FR76 1234"), HTTP_ACCEPT="application/json")
        assert response.status_code == 400 and "iban" in response.json()["fields"]
    assert not Donation.objects.exists()


def test_the_api_counts_only_attempts_that_reach_stripe(client, live_campaign, settings, stripe_calls):
    settings.DONATION_RATELIMIT_PER_IP = "2/m"
    payload = {"campaign": live_campaign.slug, "amount_cents": 2000, "card_payment_method": "card_test", "first_name": "Léa", "last_name": "Durand"}
    for email in ("pas-une-adresse", "encore@", "toujours pas"):
        assert client.post("/api/v1/donations/", {**payload, "email": email}, content_type="application/json").status_code == 400
    statuses = [client.post("/api/v1/donations/", {**payload, "email": "lea@example.org"}, content_type="application/json") for _ in range(3)]
    assert [r.status_code for r in statuses] == [201, 201, 429]
    assert len(stripe_calls) == 2 and Donation.objects.count() == 2
    assert "1 minute" in statuses[2].json()["detail"] and statuses[2]["Retry-After"] == "60"


def test_rate_limit_per_campaign_applies_across_addresses(client, live_campaign, settings, stripe_calls):
    settings.DONATION_RATELIMIT_PER_CAMPAIGN = "2/h"
    statuses = [_attempt(client, live_campaign, REMOTE_ADDR=f"10.0.0.{i}") for i in range(3)]
    assert [r.status_code for r in statuses] == [201, 201, 429]
    assert "60 minutes" in statuses[2].json()["detail"]
    other = factories.CampaignFactory(status=Status.LIVE)
    assert _attempt(client, other, REMOTE_ADDR="10.0.1.1").status_code == 201


def test_a_request_without_an_address_is_limited_not_an_error(client, live_campaign, settings, stripe_calls):
    # gunicorn on a unix socket behind a proxy that passes no address: REMOTE_ADDR is empty.
    settings.DONATION_RATELIMIT_PER_IP = "2/m"
    statuses = [_attempt(client, live_campaign, REMOTE_ADDR="").status_code for _ in range(3)]
    assert statuses == [201, 201, 429]


@pytest.mark.parametrize(("rate", "seconds"), [("10/10m", 600), ("120/h", 3600), ("3/m", 60), ("5/30s", 30), ("7/2d", 172800), ("9/", 1)])
def test_rate_window(rate, seconds):
    assert rate_window_seconds(rate) == seconds


def test_the_declared_counterpart_is_recorded_and_bounded(live_campaign):
    from trousse.exceptions import ApplicationError
    from trousse.payments import services

    donation = services.donation_create(
        campaign=live_campaign, amount_cents=5_000, first_name="Léa", last_name="Roux", email="lea@example.org", counterpart_cents=1_500
    )
    assert donation.counterpart_cents == 1_500
    with pytest.raises(ApplicationError) as refused:
        services.donation_create(
            campaign=live_campaign, amount_cents=5_000, first_name="Léa", last_name="Roux", email="lea@example.org", counterpart_cents=6_000
        )
    assert "counterpart" in refused.value.field_errors


def test_the_form_reads_the_counterpart_in_euros(client, live_campaign):
    from django.urls import reverse

    from tests.payments.conftest import donation_form
    from trousse.payments.models import Donation

    response = client.post(
        reverse("donation_create", kwargs={"slug": live_campaign.slug}), donation_form(counterpart="abc"), HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400 and "counterpart" in response.json()["fields"]
    assert not Donation.objects.exists()
