"""The scheduled purges: donors after the retention period, receipts after ten years, pupils' pictures."""

import datetime
import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from tests import factories
from tests.privacy.conftest import DONOR, OTHER_DONOR, issue_receipt, paid_donation
from trousse.campaigns.models import CampaignImage, CampaignTransition, Status
from trousse.ledger.models import LedgerEntry
from trousse.ledger.selectors import campaign_raised_from_ledger
from trousse.payments.models import Donation, DonationStatus, TaxReceipt, TaxReceiptStatus
from trousse.privacy import services
from trousse.privacy.models import DonorDataRequest, PersonalDataAccess, PictureRetention

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime.datetime(2030, 6, 1, 12, 0))


def _ended(campaign, *, status: str, at: datetime.datetime):
    """Put the campaign in `status` as if it got there at `at` (audit trail included)."""
    type(campaign).objects.filter(pk=campaign.pk).update(status=status, ended_at=at)
    transition = CampaignTransition.objects.create(campaign=campaign, from_status=Status.LIVE, to_status=status)
    CampaignTransition.objects.filter(pk=transition.pk).update(created_at=at)
    campaign.refresh_from_db()
    return campaign


# --- donors ---


def test_donors_of_campaigns_ended_more_than_three_years_ago_are_anonymised(live_campaign, cooperative, teacher):
    old = paid_donation(live_campaign, email=DONOR, first_name="Camille", public_message="Merci")
    _ended(live_campaign, status=Status.SUCCEEDED, at=NOW - datetime.timedelta(days=3 * 365 + 1))
    recent_campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE)
    recent = paid_donation(recent_campaign, email=OTHER_DONOR, first_name="Dominique")
    _ended(recent_campaign, status=Status.SUCCEEDED, at=NOW - datetime.timedelta(days=3 * 365 - 1))
    ledger_before = LedgerEntry.objects.count()

    result = services.donor_data_retention_purge(now=NOW)

    assert result["donations"] == 1
    old.refresh_from_db()
    assert old.first_name == "Donateur anonymisé" and old.email.endswith("@erased.invalid") and old.public_message == ""
    assert old.amount_cents == 5_000 and old.status == DonationStatus.SUCCEEDED
    recent.refresh_from_db()
    assert recent.first_name == "Dominique" and recent.email == OTHER_DONOR
    assert LedgerEntry.objects.count() == ledger_before
    live_campaign.refresh_from_db()
    assert live_campaign.raised_cents == campaign_raised_from_ledger(campaign=live_campaign) == 5_000
    # Running it again finds nothing more to do.
    assert services.donor_data_retention_purge(now=NOW)["donations"] == 0


def test_the_retention_period_is_a_setting(settings, live_campaign):
    settings.PRIVACY_DONOR_RETENTION_DAYS = 30
    donation = paid_donation(live_campaign, email=DONOR)
    _ended(live_campaign, status=Status.FAILED, at=NOW - datetime.timedelta(days=31))
    assert services.donor_data_retention_purge(now=NOW)["donations"] == 1
    donation.refresh_from_db()
    assert donation.email != DONOR


def test_a_live_campaigns_donors_are_kept_whatever_their_age(live_campaign):
    donation = paid_donation(live_campaign, email=DONOR)
    Donation.objects.filter(pk=donation.pk).update(created_at=NOW - datetime.timedelta(days=5 * 365))
    assert services.donor_data_retention_purge(now=NOW)["donations"] == 0


def test_a_receipt_keeps_its_donor_for_ten_years_then_is_anonymised(live_campaign):
    donation = paid_donation(live_campaign, email=DONOR)
    _ended(live_campaign, status=Status.SUCCEEDED, at=NOW - datetime.timedelta(days=11 * 365))
    young = issue_receipt(donation, number="79-2026-000001", issued_at=NOW - datetime.timedelta(days=9 * 365))
    old = issue_receipt(donation, number="79-2020-000007", issued_at=NOW - datetime.timedelta(days=10 * 365 + 30))

    result = services.donor_data_retention_purge(now=NOW)

    assert result["receipts"] == 1
    young.refresh_from_db()
    assert young.donor_email == DONOR and young.donor_name != "Donateur anonymisé"
    old.refresh_from_db()
    assert old.donor_name == "Donateur anonymisé" and old.donor_address == "" and old.donor_email.endswith("@erased.invalid")
    # The receipt itself, its number and amount stay: the AD's yearly totals do not change.
    assert (old.number, old.amount_cents, old.status) == ("79-2020-000007", 5_000, TaxReceiptStatus.ISSUED)
    assert TaxReceipt.objects.count() == 2


def test_the_receipt_pdf_leaves_storage_after_ten_years(live_campaign, django_capture_on_commit_callbacks):
    donation = paid_donation(live_campaign, email=DONOR)
    old = issue_receipt(donation, number="79-2020-000007", issued_at=NOW - datetime.timedelta(days=10 * 365 + 30))
    old.pdf.save("79-2020-000007.pdf", ContentFile(b"%PDF-1.4 receipt"), save=True)
    pdf_name = old.pdf.name
    with django_capture_on_commit_callbacks(execute=True):
        services.donor_data_retention_purge(now=NOW)
    assert not default_storage.exists(pdf_name)


def test_expired_links_and_old_access_log_rows_are_forgotten(live_campaign, treasurer):
    DonorDataRequest.objects.create(email=DONOR, created_at=NOW - datetime.timedelta(days=3))
    fresh = DonorDataRequest.objects.create(email=DONOR, created_at=NOW - datetime.timedelta(hours=1))
    PersonalDataAccess.objects.create(actor=treasurer, purpose="donor_list", created_at=NOW - datetime.timedelta(days=400))
    kept = PersonalDataAccess.objects.create(actor=treasurer, purpose="donor_list", created_at=NOW - datetime.timedelta(days=10))
    result = services.donor_data_retention_purge(now=NOW)
    assert (result["links"], result["access_log"]) == (1, 1)
    assert list(DonorDataRequest.objects.all()) == [fresh]
    assert list(PersonalDataAccess.objects.all()) == [kept]


# --- pupils' pictures ---


def _picture(campaign, name="classe.jpg") -> CampaignImage:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="JPEG")
    image = CampaignImage(campaign=campaign, alt_text="La classe sur la plage", consent_confirmed=True)
    image.large.save(name, ContentFile(buffer.getvalue()), save=False)
    image.thumbnail.save(f"thumb-{name}", ContentFile(buffer.getvalue()), save=False)
    image.width = image.height = 8
    image.save()
    return image


@pytest.mark.parametrize("status", [Status.CLOSED, Status.FAILED, Status.CANCELLED])
def test_pictures_of_a_campaign_over_for_more_than_a_year_are_deleted_with_their_files(campaign, status, django_capture_on_commit_callbacks):
    image = _picture(campaign)
    names = [image.large.name, image.thumbnail.name]
    assert all(default_storage.exists(name) for name in names)
    _ended(campaign, status=status, at=NOW - datetime.timedelta(days=366))

    with django_capture_on_commit_callbacks(execute=True):
        result = services.campaign_pictures_purge(now=NOW)

    assert result == {"campaigns": 1, "pictures": 1}
    assert not CampaignImage.objects.exists()
    assert not any(default_storage.exists(name) for name in names)


def test_pictures_stay_within_the_year_and_while_the_campaign_is_not_over(campaign, cooperative, teacher):
    _picture(campaign)
    _ended(campaign, status=Status.CLOSED, at=NOW - datetime.timedelta(days=200))
    funded = factories.CampaignFactory(cooperative=cooperative, teacher=teacher)
    _picture(funded, "funded.jpg")
    # Funded long ago but not closed: the final report may still use the pictures.
    _ended(funded, status=Status.FUNDED, at=NOW - datetime.timedelta(days=900))
    assert services.campaign_pictures_purge(now=NOW) == {"campaigns": 0, "pictures": 0}
    assert CampaignImage.objects.count() == 2


def test_pictures_are_kept_when_the_teacher_keeps_them_with_consent(campaign, teacher, django_capture_on_commit_callbacks):
    image = _picture(campaign)
    _ended(campaign, status=Status.CLOSED, at=NOW - datetime.timedelta(days=800))
    services.picture_retention_set(actor=teacher, campaign=campaign, keep_with_consent=True, now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.campaign_pictures_purge(now=NOW)["pictures"] == 0
    assert CampaignImage.objects.filter(pk=image.pk).exists()
    assert default_storage.exists(image.large.name)
    # Changing one's mind later releases them at the next run.
    services.picture_retention_set(actor=teacher, campaign=campaign, keep_with_consent=False, now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.campaign_pictures_purge(now=NOW)["pictures"] == 1
    assert not default_storage.exists(image.large.name)


def test_only_the_campaigns_teacher_decides_to_keep_the_pictures(campaign, cooperative, animator, mandataire):
    colleague = factories.teacher_of(cooperative)
    admin = factories.federation_admin()
    for user in (colleague, animator, mandataire, admin):
        with pytest.raises(services.ApplicationError) as refusal:
            services.picture_retention_set(actor=user, campaign=campaign, keep_with_consent=True)
        assert refusal.value.status_code == 403
    assert not PictureRetention.objects.exists()


def test_the_teacher_sets_the_choice_on_a_page(client, campaign, teacher):
    client.force_login(teacher)
    url = reverse("picture_retention", kwargs={"slug": campaign.slug})
    assert client.get(url).status_code == 200
    response = client.post(url, {"keep_with_consent": "on"}, follow=True)
    assert response.status_code == 200
    assert "conservées avec l'accord des familles" in response.content.decode()
    retention = PictureRetention.objects.get(campaign=campaign)
    assert retention.keep_with_consent and retention.confirmed_by == teacher and retention.confirmed_at is not None


def test_the_picture_page_is_403_for_a_colleague_and_404_for_an_outsider(client, campaign, cooperative, other_ad):
    colleague = factories.teacher_of(cooperative)
    client.force_login(colleague)
    url = reverse("picture_retention", kwargs={"slug": campaign.slug})
    assert client.get(url).status_code == 200  # may see the choice
    assert client.post(url, {"keep_with_consent": "on"}).status_code == 403
    outsider = factories.teacher_of(factories.CooperativeFactory(ad=other_ad))
    client.force_login(outsider)
    assert client.get(url).status_code == 404  # a draft of another school: not even its existence
    assert not PictureRetention.objects.exists()


def test_the_daily_job_is_in_the_beat_schedule():
    from config.celery import app
    from trousse.privacy import tasks

    assert app.conf.beat_schedule["privacy-retention-purge"]["task"] == tasks.RETENTION_TASK
    assert "campaigns-advance-by-date" in app.conf.beat_schedule
    assert tasks.RETENTION_TASK in app.tasks
