"""The AD's tax receipt pages and the donor's signed link."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tests import factories
from trousse.campaigns.models import Status
from trousse.payments.models import DonationStatus, TaxReceipt, TaxReceiptStatus
from trousse.payments.tax_receipts import tax_receipt_cancel, tax_receipt_issue, tax_receipt_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(cooperative, teacher):
    # Receipts exist only once a campaign has reached its minimum goal.
    return factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUCCEEDED)


def paid(campaign, **fields):
    fields.setdefault("status", DonationStatus.SUCCEEDED)
    fields.setdefault("succeeded_at", timezone.now())
    return factories.DonationFactory(campaign=campaign, **fields)


@pytest.fixture
def receipt(campaign):
    return tax_receipt_issue(donation=paid(campaign, first_name="Jeanne", last_name="Moreau", amount_cents=7_500))


def page_url(ad, **query):
    url = reverse("ad_receipts", kwargs={"ad_number": ad.number})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


# --- the donor's signed link ---------------------------------------------------------------------


def test_the_signed_link_downloads_the_pdf_without_an_account(client, receipt):
    response = client.get(reverse("tax_receipt_download", kwargs={"token": tax_receipt_token(receipt)}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert receipt.number in response["Content-Disposition"]


def test_a_tampered_link_is_a_404(client, receipt, campaign):
    other = tax_receipt_issue(donation=paid(campaign))
    token = tax_receipt_token(receipt)
    forged = other.number + token[len(receipt.number) :]
    for bad in (forged, token[:-3] + "xyz", "79-2026-000001"):
        assert client.get(reverse("tax_receipt_download", kwargs={"token": bad})).status_code == 404


def test_the_link_of_a_cancelled_receipt_says_it_is_cancelled(client, receipt):
    tax_receipt_cancel(receipt=receipt, reason="Don remboursé")
    response = client.get(reverse("tax_receipt_download", kwargs={"token": tax_receipt_token(receipt)}))
    assert response.status_code == 410
    assert "annulé" in response.content.decode() and "Don remboursé" in response.content.decode()


def test_the_link_in_the_email_works(client, campaign, django_capture_on_commit_callbacks):
    from trousse.payments.receipt_tasks import tax_receipt_sync_for_donation

    donation = paid(campaign)
    with django_capture_on_commit_callbacks(execute=True):
        tax_receipt_sync_for_donation(donation.pk)
    link = next(line for line in mail.outbox[0].body.splitlines() if "/recus/" in line)
    path = link[link.index("/recus/") :].strip()
    assert client.get(path).content.startswith(b"%PDF-")


# --- the AD's pages: who may see them ------------------------------------------------------------


def test_the_ads_treasurer_sees_totals_and_receipts(client, treasurer, receipt, django_assert_max_num_queries):
    client.force_login(treasurer)
    with django_assert_max_num_queries(13):
        response = client.get(page_url(receipt.ad, annee=receipt.year))
    body = response.content.decode()
    assert response.status_code == 200
    assert receipt.number in body and "Jeanne Moreau" in body
    assert "222 bis" in body
    assert "75,00" in body


def test_the_page_query_count_does_not_grow_with_receipts(client, treasurer, campaign, receipt, django_assert_max_num_queries):
    for _ in range(15):
        tax_receipt_issue(donation=paid(campaign))
    client.force_login(treasurer)
    with django_assert_max_num_queries(13):
        assert client.get(page_url(receipt.ad, annee=receipt.year)).status_code == 200


@pytest.mark.parametrize("who", ["animator", "teacher", "mandataire", "other_treasurer", "plain_user"])
def test_anyone_but_the_ads_treasurer_gets_a_404(client, receipt, who, animator, teacher, mandataire, other_ad):
    users = {
        "animator": animator,
        "teacher": teacher,
        "mandataire": mandataire,
        "other_treasurer": factories.treasurer_of(other_ad),
        "plain_user": factories.UserFactory(),
    }
    client.force_login(users[who])
    ad = receipt.ad
    urls = [
        page_url(ad),
        reverse("ad_receipts_csv", kwargs={"ad_number": ad.number, "year": receipt.year}),
        reverse("ad_receipt_pdf", kwargs={"ad_number": ad.number, "number": receipt.number}),
    ]
    if who != "other_treasurer":  # who has an AD of their own is sent to it
        urls.append(reverse("receipts_index"))
    for url in urls:
        assert client.get(url).status_code == 404, url
    response = client.post(reverse("ad_receipt_annual", kwargs={"ad_number": ad.number}), {"donor_email": "a@example.org", "year": receipt.year})
    assert response.status_code == 404
    assert TaxReceipt.objects.filter(is_annual=True).count() == 0


def test_an_anonymous_visitor_is_sent_to_log_in(client, receipt):
    response = client.get(page_url(receipt.ad))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_federation_admin_sees_every_ad(client, receipt, other_ad):
    admin = factories.federation_admin()
    client.force_login(admin)
    assert client.get(page_url(receipt.ad)).status_code == 200
    assert client.get(page_url(other_ad)).status_code == 200
    assert client.get(reverse("receipts_index")).status_code == 200


def test_the_index_sends_a_treasurer_to_their_ad(client, treasurer, ad):
    client.force_login(treasurer)
    response = client.get(reverse("receipts_index"))
    assert response.status_code == 302 and response["Location"] == page_url(ad)


def test_an_unknown_ad_is_a_404_even_for_an_admin(client):
    client.force_login(factories.federation_admin())
    assert client.get(reverse("ad_receipts", kwargs={"ad_number": "999"})).status_code == 404


# --- the AD's pages: what they do ----------------------------------------------------------------


def test_the_treasurer_downloads_the_csv_of_the_year(client, treasurer, receipt):
    client.force_login(treasurer)
    response = client.get(reverse("ad_receipts_csv", kwargs={"ad_number": "79", "year": receipt.year}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert text.startswith("numero;") and receipt.number in text and "75,00" in text


def test_the_treasurer_downloads_a_receipts_pdf(client, treasurer, receipt):
    client.force_login(treasurer)
    response = client.get(reverse("ad_receipt_pdf", kwargs={"ad_number": "79", "number": receipt.number}))
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")


def test_the_treasurer_issues_an_annual_receipt_once(client, treasurer, campaign):
    year = timezone.localdate().year
    paid(campaign, email="marc@example.org", amount_cents=1_000, wants_tax_receipt=False)
    paid(campaign, email="marc@example.org", amount_cents=2_000, wants_tax_receipt=False)
    client.force_login(treasurer)
    url = reverse("ad_receipt_annual", kwargs={"ad_number": "79"})
    response = client.post(url, {"donor_email": "marc@example.org", "year": year}, follow=True)
    assert response.status_code == 200
    annual = TaxReceipt.objects.get(is_annual=True)
    assert annual.amount_cents == 3_000 and annual.status == TaxReceiptStatus.ISSUED
    assert f"Reçu annuel n° {annual.number} émis pour 2 dons ;" in response.content.decode()
    # Asked twice: refused with a readable message, nothing written.
    again = client.post(url, {"donor_email": "marc@example.org", "year": year})
    assert again.status_code == 400
    assert "sans reçu" in again.content.decode()
    assert TaxReceipt.objects.filter(is_annual=True).count() == 1


def test_bad_annual_input_is_a_400_with_the_reason(client, treasurer):
    client.force_login(treasurer)
    response = client.post(reverse("ad_receipt_annual", kwargs={"ad_number": "79"}), {"donor_email": "pas-une-adresse", "year": "deux mille"})
    assert response.status_code == 400
    assert TaxReceipt.objects.count() == 0


def test_the_annual_form_needs_the_csrf_token(treasurer):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(treasurer)
    response = client.post(reverse("ad_receipt_annual", kwargs={"ad_number": "79"}), {"donor_email": "a@example.org", "year": 2026})
    assert response.status_code == 403


def test_a_year_with_no_receipt_shows_zero(client, treasurer, ad):
    client.force_login(treasurer)
    response = client.get(page_url(ad, annee=2021))
    assert response.status_code == 200
    assert "Aucun reçu" in response.content.decode()


def test_a_nonsense_year_falls_back_to_this_year(client, treasurer, receipt):
    client.force_login(treasurer)
    response = client.get(page_url(receipt.ad, annee="drop"))
    assert response.status_code == 200
    assert receipt.number in response.content.decode()


def test_the_treasurer_sees_a_cancelled_receipt_stamped_as_such(client, treasurer, receipt, monkeypatch):
    from trousse.payments import receipt_pdf

    tax_receipt_cancel(receipt=receipt, reason="Don remboursé")
    seen = []
    real = receipt_pdf.render_tax_receipt_pdf

    def spy(receipt, **kwargs):
        seen.append(receipt_pdf.tax_receipt_content(receipt).cancelled_notice)
        return real(receipt, **kwargs)

    monkeypatch.setattr("frontend.views.receipts.render_tax_receipt_pdf", spy)
    client.force_login(treasurer)
    response = client.get(reverse("ad_receipt_pdf", kwargs={"ad_number": "79", "number": receipt.number}))
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert seen and "ANNULÉ" in seen[0]
