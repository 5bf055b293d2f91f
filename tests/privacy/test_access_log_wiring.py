"""Every page and API that shows donors' personal data to staff leaves a row in the access log."""

import pytest
from django.http import HttpResponse
from django.urls import reverse

from tests import factories
from tests.privacy.conftest import issue_receipt, paid_donation
from trousse.privacy.models import PersonalDataAccess

pytestmark = pytest.mark.django_db


def logged(purpose: str, actor) -> list[PersonalDataAccess]:
    return list(PersonalDataAccess.objects.filter(purpose=purpose, actor=actor).order_by("donation_id"))


@pytest.fixture
def donations(live_campaign):
    return [paid_donation(live_campaign, email=f"donateur{n}@example.org") for n in range(2)]


# --- a campaign's donors ---


@pytest.mark.parametrize("who", ["treasurer", "mandataire", "teacher"])
def test_the_donor_list_is_logged_for_everyone_who_reads_it(client, request, live_campaign, donations, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    response = client.get(reverse("campaign_donors", kwargs={"slug": live_campaign.slug}))
    assert response.status_code == 200
    rows = logged("donor_list", user)
    assert [row.donation_id for row in rows] == sorted(d.pk for d in donations)
    assert {row.subject_email for row in rows} == {"donateur0@example.org", "donateur1@example.org"}
    assert all(row.path == f"/dons/projet/{live_campaign.slug}/donateurs/" for row in rows)


def test_an_outsider_gets_a_404_and_no_row(client, live_campaign, donations, other_ad):
    outsider = factories.treasurer_of(other_ad)
    client.force_login(outsider)
    assert client.get(reverse("campaign_donors", kwargs={"slug": live_campaign.slug})).status_code == 404
    assert not PersonalDataAccess.objects.exists()


def test_the_donations_export_is_logged(client, mandataire, live_campaign, donations):
    client.force_login(mandataire)
    response = client.get(reverse("campaign_donations_csv", kwargs={"slug": live_campaign.slug}))
    assert response.status_code == 200
    assert "donateur0@example.org" in response.content.decode()
    assert [row.donation_id for row in logged("donations_export", mandataire)] == sorted(d.pk for d in donations)


def test_a_teacher_refused_the_export_leaves_no_export_row(client, teacher, live_campaign, donations):
    client.force_login(teacher)
    assert client.get(reverse("campaign_donations_csv", kwargs={"slug": live_campaign.slug})).status_code == 403
    assert not PersonalDataAccess.objects.filter(purpose="donations_export").exists()


def test_the_donation_list_api_logs_the_page_it_returns(client, treasurer, live_campaign, donations):
    client.force_login(treasurer)
    response = client.get(reverse("api:campaign_donation_list", kwargs={"slug": live_campaign.slug}))
    assert response.status_code == 200
    assert {row["email"] for row in response.json()["results"]} == {"donateur0@example.org", "donateur1@example.org"}
    assert [row.donation_id for row in logged("donor_list", treasurer)] == sorted(d.pk for d in donations)


# --- the AD's tax receipts ---


@pytest.fixture
def receipts(donations):
    return [issue_receipt(donation, number=f"79-2026-00000{n + 1}") for n, donation in enumerate(donations)]


def test_the_receipts_page_logs_the_receipts_it_shows(client, treasurer, ad, receipts, donations):
    client.force_login(treasurer)
    response = client.get(reverse("ad_receipts", kwargs={"ad_number": ad.number}), {"annee": 2026})
    assert response.status_code == 200
    assert "79-2026-000001" in response.content.decode()
    rows = logged("tax_receipts", treasurer)
    assert [row.donation_id for row in rows] == sorted(d.pk for d in donations)
    assert {row.ad_id for row in rows} == {ad.pk}


def test_a_receipts_pdf_is_logged(client, treasurer, ad, receipts, donations, monkeypatch):
    # The PDF itself is the receipts' work (tested there); here only who opened it matters.
    monkeypatch.setattr("frontend.views.receipts._pdf_response", lambda receipt: HttpResponse(b"%PDF", content_type="application/pdf"))
    client.force_login(treasurer)
    response = client.get(reverse("ad_receipt_pdf", kwargs={"ad_number": ad.number, "number": "79-2026-000002"}))
    assert response.status_code == 200
    assert [row.donation_id for row in logged("tax_receipts", treasurer)] == [donations[1].pk]


def test_the_receipts_csv_is_one_row_for_the_ads_year(client, treasurer, ad, receipts):
    client.force_login(treasurer)
    response = client.get(reverse("ad_receipts_csv", kwargs={"ad_number": ad.number, "year": 2026}))
    assert response.status_code == 200
    (row,) = logged("tax_receipts", treasurer)
    assert (row.ad_id, row.donation_id) == (ad.pk, None)


def test_an_issued_annual_receipt_is_logged(client, treasurer, ad, receipts, donations, monkeypatch):
    # The annual receipt's rules are the receipts' work; the stand-in returns a receipt as the service would.
    monkeypatch.setattr("frontend.views.receipts.tax_receipt_issue_annual", lambda **kwargs: receipts[0])
    client.force_login(treasurer)
    response = client.post(
        reverse("ad_receipt_annual", kwargs={"ad_number": ad.number}), {"donor_email": "donateur0@example.org", "year": 2026, "donor_type": ""}
    )
    assert response.status_code == 302
    assert [row.donation_id for row in logged("tax_receipts", treasurer)] == [donations[0].pk]


def test_nobody_else_reaches_the_receipts_nor_leaves_a_row(client, animator, ad, receipts):
    client.force_login(animator)
    assert client.get(reverse("ad_receipts", kwargs={"ad_number": ad.number})).status_code == 404
    assert client.get(reverse("ad_receipts_csv", kwargs={"ad_number": ad.number, "year": 2026})).status_code == 404
    assert not PersonalDataAccess.objects.exists()
