"""A donor without an account downloads their data and erases it through a signed link."""

import datetime
import json
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.privacy.conftest import DONOR, OTHER_DONOR, issue_receipt, paid_donation
from trousse.ledger.models import LedgerEntry
from trousse.ledger.selectors import campaign_raised_from_ledger
from trousse.payments.models import Donation, DonationStatus, StripeEvent, TaxReceipt, TaxReceiptStatus
from trousse.privacy import services
from trousse.privacy.models import DonorDataRequest, ErasureRecord, PersonalDataAccess

pytestmark = pytest.mark.django_db


def _request_link(client, email, capture):
    with capture(execute=True):
        return client.post(reverse("privacy_request"), {"email": email})


def _link_from_mail() -> str:
    (message,) = mail.outbox
    return re.search(r"https?://\S+/mes-donnees/lien/\S+/", message.body).group(0)


def _token_url(email, *, now=None) -> tuple[DonorDataRequest, str]:
    data_request = DonorDataRequest.objects.create(email=email, **({"created_at": now} if now else {}))
    url = reverse("privacy_donor_data", kwargs={"token": services.donor_data_token(data_request=data_request, now=now)})
    return data_request, url


# --- asking for the link ---


def test_the_request_page_answers_the_same_for_known_and_unknown_addresses(client, live_campaign, django_capture_on_commit_callbacks):
    factories.DonationFactory(campaign=live_campaign, email=DONOR, status=DonationStatus.SUCCEEDED)
    known = _request_link(client, DONOR, django_capture_on_commit_callbacks)
    unknown = _request_link(client, "personne@example.org", django_capture_on_commit_callbacks)
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("privacy_request_sent")
    page = client.get(known["Location"])
    assert "Si nous détenons des données pour cette adresse" in page.content.decode()
    # Only the known address gets a message; nobody else is mailed.
    assert [message.to for message in mail.outbox] == [[DONOR]]


def test_the_e_mailed_link_opens_the_donor_page(client, live_campaign, django_capture_on_commit_callbacks):
    factories.DonationFactory(campaign=live_campaign, email="Camille.Martin@Example.org", status=DonationStatus.SUCCEEDED, first_name="Camille", last_name="Martin")
    _request_link(client, "  CAMILLE.martin@example.org ", django_capture_on_commit_callbacks)
    link = _link_from_mail()
    assert DONOR not in link  # the address never travels in the URL
    page = client.get(urlsplit(link).path)
    assert page.status_code == 200
    assert "Camille Martin" in page.content.decode()
    assert page["Cache-Control"].startswith("no-store")


@pytest.mark.parametrize(("language", "subject"), [("fr", "Vos données personnelles sur La Trousse"), ("en", "Your personal data on La Trousse")])
def test_the_link_e_mail_is_in_the_language_of_the_page_it_was_asked_from(client, live_campaign, django_capture_on_commit_callbacks, language, subject):
    factories.DonationFactory(campaign=live_campaign, email=DONOR, status=DonationStatus.SUCCEEDED)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("privacy_request"), {"email": DONOR}, HTTP_ACCEPT_LANGUAGE=language)
    (message,) = mail.outbox
    assert message.subject == subject


def test_a_second_request_within_minutes_sends_no_second_mail(client, live_campaign, django_capture_on_commit_callbacks):
    factories.DonationFactory(campaign=live_campaign, email=DONOR)
    _request_link(client, DONOR, django_capture_on_commit_callbacks)
    _request_link(client, DONOR, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1


def test_a_failed_mail_leaves_no_request_behind_so_the_retry_sends_it(live_campaign, monkeypatch):
    factories.DonationFactory(campaign=live_campaign, email=DONOR)

    def smtp_down(*args, **kwargs):
        raise OSError("SMTP unreachable")

    monkeypatch.setattr(services, "send_mail", smtp_down)
    with pytest.raises(OSError):
        services.donor_data_link_send(email=DONOR)
    assert not DonorDataRequest.objects.exists()
    monkeypatch.undo()
    assert services.donor_data_link_send(email=DONOR) is True
    assert len(mail.outbox) == 1


def test_an_invalid_address_is_a_form_error(client):
    response = client.post(reverse("privacy_request"), {"email": "pas-une-adresse"})
    assert response.status_code == 400
    assert "adresse e-mail valide" in response.content.decode()
    assert not DonorDataRequest.objects.exists()


# --- the link ---


def test_a_tampered_link_is_a_404_page_without_data(client, live_campaign):
    factories.DonationFactory(campaign=live_campaign, email=DONOR, last_name="Martin-Secret")
    _data_request, url = _token_url(DONOR)
    tampered = url[:-3] + ("AAA" if not url.endswith("AAA/") else "BBB") + "/"
    for address in (tampered, tampered.replace("/mes-donnees/lien/", "/mes-donnees/lien/x"), reverse("privacy_donor_data", kwargs={"token": "nimportequoi"})):
        response = client.get(address)
        assert response.status_code == 404
        assert "Martin-Secret" not in response.content.decode()
    download = client.get(tampered + "donnees.json")
    assert download.status_code == 404


def test_an_expired_link_is_a_404_page_without_data(client, live_campaign):
    factories.DonationFactory(campaign=live_campaign, email=DONOR, last_name="Martin-Secret")
    yesterday = timezone.now() - datetime.timedelta(hours=25)
    _data_request, url = _token_url(DONOR, now=yesterday)
    response = client.get(url)
    assert response.status_code == 404
    assert "Lien invalide ou expiré" in response.content.decode()
    assert "Martin-Secret" not in response.content.decode()
    download = client.get(url + "donnees.json")
    assert download.status_code == 404
    erase = client.post(url + "effacer/")
    assert erase.status_code == 404
    assert Donation.objects.get().last_name == "Martin-Secret"


def test_a_link_signed_for_another_purpose_is_refused(client, live_campaign):
    from django.core import signing

    data_request = DonorDataRequest.objects.create(email=DONOR)
    foreign = signing.TimestampSigner(salt="trousse.payments.tax-receipt").sign(str(data_request.public_id))
    assert client.get(reverse("privacy_donor_data", kwargs={"token": foreign})).status_code == 404


# --- the download ---


def test_the_download_holds_the_donors_data_and_nothing_of_another_donor(client, live_campaign, ad):
    mine = paid_donation(live_campaign, email=DONOR, first_name="Camille", last_name="Martin", public_message="Bravo la classe", amount_cents=7_500)
    issue_receipt(mine)
    other = paid_donation(live_campaign, email=OTHER_DONOR, first_name="Dominique", last_name="Durand", public_message="Secret de Dominique")
    issue_receipt(other, number="79-2026-000002")
    _data_request, url = _token_url(DONOR)

    response = client.get(url + "donnees.json")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["email"] == DONOR
    (donation,) = data["donations"]
    assert donation["amount_cents"] == 7_500
    assert donation["first_name"] == "Camille" and donation["last_name"] == "Martin"
    assert donation["public_message"] == "Bravo la classe"
    assert donation["campaign"]["title"] == live_campaign.title
    assert donation["status"] == "succeeded"
    assert donation["address"]["city"] == "Niort"
    assert [receipt["number"] for receipt in data["tax_receipts"]] == ["79-2026-000001"]
    raw = response.content.decode()
    assert OTHER_DONOR not in raw and "Dominique" not in raw and "Durand" not in raw and "79-2026-000002" not in raw


def test_the_download_tells_which_organisations_read_the_data(client, live_campaign, treasurer):
    mine = paid_donation(live_campaign, email=DONOR)
    services.personal_data_access_log(actor=treasurer, purpose="donor_list", donations=[mine])
    _data_request, url = _token_url(DONOR)
    data = json.loads(client.get(url + "donnees.json").content)
    (access,) = data["staff_accesses"]
    assert access["purpose"] == "liste des donateurs"
    assert "OCCE" in access["organisation"]
    assert treasurer.email not in json.dumps(data)


# --- erasure ---


def test_erasure_anonymises_and_keeps_money_ledger_and_issued_receipts(client, live_campaign):
    first = paid_donation(live_campaign, email=DONOR, first_name="Camille", last_name="Martin", public_message="Bravo !", amount_cents=5_000)
    second = paid_donation(live_campaign, email=DONOR.upper(), first_name="Camille", last_name="Martin", amount_cents=2_000)
    receipt = issue_receipt(first)
    other = paid_donation(live_campaign, email=OTHER_DONOR, first_name="Dominique")
    StripeEvent.objects.create(
        stripe_event_id="evt_sepa_1",
        type="payment_intent.succeeded",
        payload={"data": {"object": {"id": first.stripe_payment_intent_id, "amount": 5000, "billing_details": {"name": "Camille Martin", "email": DONOR}}}},
    )
    live_campaign.refresh_from_db()
    raised_before = live_campaign.raised_cents
    ledger_before = list(LedgerEntry.objects.order_by("pk").values_list("pk", "amount_cents"))
    assert raised_before == campaign_raised_from_ledger(campaign=live_campaign) == 12_000
    data_request, url = _token_url(DONOR)

    response = client.post(url + "effacer/")

    assert response.status_code == 302
    page = client.get(url)
    text = page.content.decode()
    assert "Vos reçus fiscaux sont conservés" in text
    assert "La loi nous oblige à conserver les reçus fiscaux" in text
    for donation in (first, second):
        donation.refresh_from_db()
        assert donation.first_name == "Donateur anonymisé" and donation.last_name == ""
        assert donation.email.startswith("erased+") and donation.email.endswith("@erased.invalid")
        assert donation.address_line == donation.postal_code == donation.city == ""
        assert donation.public_message == ""
        assert donation.is_anonymous
        assert donation.status == DonationStatus.SUCCEEDED
    assert (first.amount_cents, second.amount_cents) == (5_000, 2_000)
    # The same donor's rows stay linked to each other, by a placeholder that reaches nobody.
    assert first.email == second.email
    live_campaign.refresh_from_db()
    assert live_campaign.raised_cents == raised_before == campaign_raised_from_ledger(campaign=live_campaign)
    assert list(LedgerEntry.objects.order_by("pk").values_list("pk", "amount_cents")) == ledger_before
    receipt.refresh_from_db()
    assert receipt.status == TaxReceiptStatus.ISSUED
    assert receipt.donor_email == DONOR and receipt.donor_name == "Camille Martin" and "Niort" in receipt.donor_address
    assert list(receipt.donations.all()) == [first]
    other.refresh_from_db()
    assert other.first_name == "Dominique" and other.email == OTHER_DONOR
    event = StripeEvent.objects.get()
    assert event.payload["data"]["object"]["billing_details"] is None
    assert event.payload["data"]["object"]["amount"] == 5000
    record = ErasureRecord.objects.get()
    assert (record.donations_count, record.receipts_kept_count) == (2, 1)
    assert DONOR not in record.email_digest
    data_request.refresh_from_db()
    assert data_request.erased_at is not None


def test_after_erasure_the_download_holds_only_the_kept_receipts(client, live_campaign):
    donation = paid_donation(live_campaign, email=DONOR, last_name="Martin")
    issue_receipt(donation)
    _data_request, url = _token_url(DONOR)
    client.post(url + "effacer/")
    data = json.loads(client.get(url + "donnees.json").content)
    assert data["donations"] == []
    assert [receipt["number"] for receipt in data["tax_receipts"]] == ["79-2026-000001"]


def test_erasure_without_receipt_says_everything_is_gone(client, live_campaign):
    paid_donation(live_campaign, email=DONOR, wants_tax_receipt=False)
    _data_request, url = _token_url(DONOR)
    response = client.post(url + "effacer/", follow=True)
    text = response.content.decode()
    assert "Vos données personnelles ont été effacées." in text
    assert "reçus fiscaux sont conservés" not in text


@pytest.mark.parametrize("status", [DonationStatus.PENDING, DonationStatus.PROCESSING])
def test_money_in_flight_blocks_erasure_and_nothing_is_written(client, live_campaign, status):
    paid = paid_donation(live_campaign, email=DONOR, last_name="Martin")
    factories.DonationFactory(campaign=live_campaign, email=DONOR, status=status, last_name="Martin")
    _data_request, url = _token_url(DONOR)
    page = client.get(url)
    assert "en cours de paiement" in page.content.decode()
    response = client.post(url + "effacer/")
    assert response.status_code == 409
    assert "en cours de paiement" in response.content.decode()
    paid.refresh_from_db()
    assert paid.last_name == "Martin" and paid.email == DONOR
    assert not ErasureRecord.objects.exists()


def test_erasure_needs_the_csrf_token(live_campaign):
    from django.test import Client

    paid_donation(live_campaign, email=DONOR, last_name="Martin")
    _data_request, url = _token_url(DONOR)
    response = Client(enforce_csrf_checks=True).post(url + "effacer/")
    assert response.status_code == 403
    assert Donation.objects.get().last_name == "Martin"


def test_erasure_anonymises_the_access_log_subject(live_campaign, treasurer):
    donation = paid_donation(live_campaign, email=DONOR)
    services.personal_data_access_log(actor=treasurer, purpose="donor_list", donations=[donation])
    services.personal_data_access_log(actor=treasurer, purpose="tax_receipts", subject_email=DONOR)
    services.donor_data_erase(email=DONOR)
    assert not PersonalDataAccess.objects.filter(subject_email__iexact=DONOR).exists()
    assert PersonalDataAccess.objects.count() == 2


def test_erasure_removes_the_name_and_message_from_the_public_page(client, live_campaign, django_capture_on_commit_callbacks):
    paid_donation(live_campaign, email=DONOR, first_name="Camille", last_name="Martin", public_message="Message très personnel")
    before = client.get(reverse("campaign_detail", kwargs={"slug": live_campaign.slug})).content.decode()
    assert "Message très personnel" in before and "Camille Martin" in before
    # The cached page is bumped once the erasure commits.
    with django_capture_on_commit_callbacks(execute=True):
        services.donor_data_erase(email=DONOR)
    after = client.get(reverse("campaign_detail", kwargs={"slug": live_campaign.slug})).content.decode()
    assert "Message très personnel" not in after and "Camille Martin" not in after


def test_receipts_keep_their_numbers_and_amounts_after_erasure(live_campaign):
    donation = paid_donation(live_campaign, email=DONOR, amount_cents=4_000)
    receipt = issue_receipt(donation)
    result = services.donor_data_erase(email=DONOR)
    assert result.receipts_kept == ("79-2026-000001",)
    assert TaxReceipt.objects.filter(number="79-2026-000001", amount_cents=4_000, status=TaxReceiptStatus.ISSUED).exists()
    assert receipt.pk == TaxReceipt.objects.get().pk
