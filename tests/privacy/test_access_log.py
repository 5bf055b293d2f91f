"""Every read of donors' personal data by staff is logged; staff read the log of their scope."""

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.privacy.conftest import DONOR, issue_receipt, paid_donation
from trousse.privacy import services
from trousse.privacy.models import PersonalDataAccess

pytestmark = pytest.mark.django_db


def test_the_log_records_who_what_when_and_from_where(live_campaign, treasurer, ad, django_assert_max_num_queries):
    donations = [paid_donation(live_campaign, email=f"donateur{n}@example.org") for n in range(3)]
    request = RequestFactory().get("/espace/projets/x/donateurs/?page=2")
    before = timezone.now()
    # One read, one insert (and the savepoint pair of @transaction.atomic inside the test's transaction).
    with django_assert_max_num_queries(4):
        written = services.personal_data_access_log(actor=treasurer, purpose="donations_export", donations=donations, request=request)
    assert written == 3
    rows = list(PersonalDataAccess.objects.order_by("donation_id"))
    assert [row.donation_id for row in rows] == [donation.pk for donation in donations]
    for row, donation in zip(rows, donations, strict=True):
        assert row.actor == treasurer
        assert row.purpose == "donations_export"
        assert row.subject_email == donation.email
        assert row.campaign_id == live_campaign.pk and row.ad_id == ad.pk
        assert row.path == "/espace/projets/x/donateurs/?page=2"
        assert row.created_at >= before


def test_a_campaign_wide_read_and_an_address_lookup_are_one_row_each(live_campaign, treasurer, ad):
    services.personal_data_access_log(actor=treasurer, purpose="donor_list", campaign=live_campaign)
    services.personal_data_access_log(actor=treasurer, purpose="tax_receipts", subject_email=" Camille@Example.org ", ad=ad)
    campaign_row, address_row = PersonalDataAccess.objects.order_by("id")
    assert (campaign_row.campaign, campaign_row.ad, campaign_row.donation) == (live_campaign, ad, None)
    assert (address_row.subject_email, address_row.ad) == ("camille@example.org", ad)


def test_anonymous_reads_are_not_logged(live_campaign):
    from django.contrib.auth.models import AnonymousUser

    assert services.personal_data_access_log(actor=AnonymousUser(), purpose="donor_list", campaign=live_campaign) == 0
    assert not PersonalDataAccess.objects.exists()


# --- the page ---


@pytest.fixture
def two_ads_log(live_campaign, treasurer, other_ad):
    other_campaign = factories.CampaignFactory(cooperative=factories.CooperativeFactory(ad=other_ad), status="live")
    other_treasurer = factories.treasurer_of(other_ad)
    mine = paid_donation(live_campaign, email="donateur.79@example.org")
    theirs = paid_donation(other_campaign, email="donateur.84@example.org")
    services.personal_data_access_log(actor=treasurer, purpose="donor_list", donations=[mine])
    services.personal_data_access_log(actor=other_treasurer, purpose="donor_list", donations=[theirs])
    return mine, theirs, other_treasurer


def test_a_treasurer_reads_their_ads_log_only(client, treasurer, two_ads_log):
    client.force_login(treasurer)
    page = client.get(reverse("personal_data_access_log"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "donateur.79@example.org" in text
    assert "donateur.84@example.org" not in text
    assert client.get(reverse("personal_data_access_log") + "?ad=84").status_code == 404


def test_the_federation_reads_every_ads_log(client, two_ads_log):
    client.force_login(factories.federation_admin())
    text = client.get(reverse("personal_data_access_log")).content.decode()
    assert "donateur.79@example.org" in text and "donateur.84@example.org" in text
    only_84 = client.get(reverse("personal_data_access_log") + "?ad=84").content.decode()
    assert "donateur.84@example.org" in only_84 and "donateur.79@example.org" not in only_84


@pytest.mark.parametrize("who", ["animator", "teacher", "mandataire"])
def test_other_roles_do_not_even_see_the_log_page(client, request, who, two_ads_log):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("personal_data_access_log")).status_code == 404


def test_the_log_page_asks_anonymous_visitors_to_log_in(client):
    response = client.get(reverse("personal_data_access_log"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_log_page_runs_a_constant_number_of_queries(client, treasurer, live_campaign, django_assert_max_num_queries):
    donations = [paid_donation(live_campaign, email=f"d{n}@example.org") for n in range(12)]
    services.personal_data_access_log(actor=treasurer, purpose="donor_list", donations=donations)
    client.force_login(treasurer)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("personal_data_access_log")).status_code == 200


# --- the API ---


def test_the_api_lists_the_log_of_the_actors_scope(client, treasurer, animator, two_ads_log):
    client.force_login(treasurer)
    response = client.get("/api/v1/privacy/access-log/")
    assert response.status_code == 200
    assert [row["subject_email"] for row in response.json()["results"]] == ["donateur.79@example.org"]
    client.force_login(animator)
    assert client.get("/api/v1/privacy/access-log/").status_code == 404


def test_the_api_sets_the_picture_choice_for_the_teacher_only(client, campaign, teacher, mandataire):
    url = f"/api/v1/privacy/campaigns/{campaign.slug}/picture-retention/"
    client.force_login(mandataire)
    assert client.put(url, {"keep_with_consent": True}, content_type="application/json").status_code == 403
    client.force_login(teacher)
    response = client.put(url, {"keep_with_consent": True}, content_type="application/json")
    assert response.status_code == 200 and response.json()["keep_with_consent"] is True
    assert client.put(url, {"keep_with_consent": "peut-être"}, content_type="application/json").status_code == 400


# --- the Django admin ---


def test_the_admin_logs_what_it_shows(client, live_campaign):
    donation = paid_donation(live_campaign, email=DONOR)
    receipt = issue_receipt(donation)
    superuser = factories.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(superuser)

    assert client.get(reverse("admin:payments_donation_changelist")).status_code == 200
    assert client.get(reverse("admin:payments_donation_change", args=[donation.pk])).status_code == 200
    assert client.get(reverse("admin:payments_taxreceipt_change", args=[receipt.pk])).status_code == 200

    rows = list(PersonalDataAccess.objects.order_by("id").values_list("actor_id", "donation_id", "purpose"))
    assert rows == [(superuser.pk, donation.pk, "admin"), (superuser.pk, donation.pk, "admin"), (superuser.pk, donation.pk, "tax_receipts")]


def test_the_admin_erases_a_donor_who_asked_by_post(client, live_campaign):
    donation = paid_donation(live_campaign, email=DONOR, last_name="Martin")
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    response = client.post(reverse("admin:payments_donation_changelist"), {"action": "erase_donor_data", "_selected_action": [donation.pk]}, follow=True)
    assert response.status_code == 200
    donation.refresh_from_db()
    assert donation.last_name == "" and donation.email.endswith("@erased.invalid")


def test_reading_receipts_logs_the_donations_they_cover(live_campaign, treasurer, ad):
    first = paid_donation(live_campaign, email=DONOR)
    second = paid_donation(live_campaign, email="autre@example.org")
    receipts = [issue_receipt(first), issue_receipt(second, number="79-2026-000002")]
    assert services.personal_data_access_log(actor=treasurer, purpose="tax_receipts", receipts=receipts) == 2
    assert set(PersonalDataAccess.objects.values_list("donation_id", "subject_email")) == {(first.pk, DONOR), (second.pk, "autre@example.org")}
    # A whole year's export is one row for the AD.
    assert services.personal_data_access_log(actor=treasurer, purpose="tax_receipts", ad=ad) == 1
    assert PersonalDataAccess.objects.filter(donation=None, ad=ad).count() == 1


def test_an_export_given_as_ids_is_logged_once_per_donation(live_campaign, treasurer):
    from tests.factories import DonationFactory

    ids = [DonationFactory(campaign=live_campaign).pk for _ in range(5)]
    # Ids as a values_list (what a CSV export streaming .iterator() would pass), repeated ids counted once.
    assert services.personal_data_access_log(actor=treasurer, purpose="donations_export", donations=[*ids, ids[0]]) == 5
