"""What the donation form accepts and refuses, and the card-testing guard."""

import pytest
from django.urls import reverse

from tests import factories
from tests.payments.conftest import donation_form
from trousse.campaigns.models import Status
from trousse.exceptions import ApplicationError, ConflictError
from trousse.payments.models import Donation
from trousse.payments.services import donation_create

pytestmark = pytest.mark.django_db

DONOR = {"first_name": "Jeanne", "last_name": "Petit", "email": "jeanne@example.org"}


def _errors(campaign, **fields):
    with pytest.raises(ApplicationError) as caught:
        donation_create(campaign=campaign, **{"amount_cents": 2000, **DONOR, **fields})
    return caught.value.field_errors


def test_minimum_is_five_euros(live_campaign):
    assert "5" in _errors(live_campaign, amount_cents=499)["amount"]


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


def test_rate_limit_answers_429(client, live_campaign, settings):
    settings.DONATION_RATELIMIT_PER_IP = "3/m"
    url = reverse("donation_create", kwargs={"slug": live_campaign.slug})
    statuses = [client.post(url, donation_form(amount_other="1"), HTTP_ACCEPT="application/json").status_code for _ in range(5)]
    assert statuses[:3] == [400, 400, 400] and statuses[3:] == [429, 429]
    page = client.post(url, donation_form(amount_other="1"))
    assert page.status_code == 429 and "Trop de tentatives" in page.content.decode()


def test_rate_limit_per_campaign_applies_across_addresses(client, live_campaign, settings):
    settings.DONATION_RATELIMIT_PER_CAMPAIGN = "2/m"
    url = reverse("donation_create", kwargs={"slug": live_campaign.slug})
    statuses = [client.post(url, donation_form(amount_other="1"), HTTP_ACCEPT="application/json", REMOTE_ADDR=f"10.0.0.{i}").status_code for i in range(3)]
    assert statuses == [400, 400, 429]
    other = factories.CampaignFactory(status=Status.LIVE)
    assert client.post(reverse("donation_create", kwargs={"slug": other.slug}), donation_form(amount_other="1"), HTTP_ACCEPT="application/json", REMOTE_ADDR="10.0.1.1").status_code == 400


def test_a_request_without_an_address_is_limited_not_an_error(client, live_campaign, settings):
    # gunicorn on a unix socket behind a proxy that passes no address: REMOTE_ADDR is empty.
    settings.DONATION_RATELIMIT_PER_IP = "2/m"
    url = reverse("donation_create", kwargs={"slug": live_campaign.slug})
    statuses = [client.post(url, donation_form(amount_other="1"), HTTP_ACCEPT="application/json", REMOTE_ADDR="").status_code for _ in range(3)]
    assert statuses == [400, 400, 429]


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
