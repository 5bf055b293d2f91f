"""A live campaign edited by its teacher goes back to review: its donors' money never gets stuck there."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from trousse.campaigns.models import Status
from trousse.campaigns.services import campaign_transition, campaign_update
from trousse.moderation.services import review_approve, review_reject
from trousse.payments.models import DonationStatus, Refund
from trousse.payments.services import donation_transition

pytestmark = pytest.mark.django_db


@pytest.fixture
def edited_live_campaign(cooperative, teacher, django_capture_on_commit_callbacks):
    """Live for real (through its transition), one donation paid, then its summary edited."""
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.APPROVED, start_date=timezone.localdate())
    campaign = campaign_transition(campaign=campaign, to_status=Status.LIVE)
    donation = factories.DonationFactory(campaign=campaign, amount_cents=3_000)
    donation_transition(donation_id=donation.pk, to_status=DonationStatus.SUCCEEDED, source="test")
    campaign = campaign_update(actor=teacher, campaign=campaign, summary="Un résumé corrigé, avec une faute en moins.")
    assert campaign.status == Status.SUBMITTED
    campaign.paid_donation = donation
    return campaign


def test_approved_again_it_is_back_online_at_once(client, animator, edited_live_campaign):
    page = reverse("campaign_detail", kwargs={"slug": edited_live_campaign.slug})
    assert client.get(page).status_code == 404

    review_approve(actor=animator, campaign=edited_live_campaign)

    edited_live_campaign.refresh_from_db()
    assert edited_live_campaign.status == Status.LIVE
    assert "Un résumé corrigé" in client.get(page).content.decode()


def test_a_first_approval_still_waits_for_the_start_date(animator, cooperative, teacher):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUBMITTED, start_date=timezone.localdate())
    review_approve(actor=animator, campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == Status.APPROVED


def test_rejected_after_the_edit_its_donors_are_refunded(animator, edited_live_campaign, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr("trousse.payments.services.refund_process", lambda *, refund_id: sent.append(refund_id) or Refund.objects.get(pk=refund_id))
    with django_capture_on_commit_callbacks(execute=True):
        review_reject(actor=animator, campaign=edited_live_campaign, reason="Le nouveau texte nomme des élèves.")

    (refund,) = Refund.objects.filter(donation=edited_live_campaign.paid_donation)
    assert refund.amount_cents == 3_000
    assert "n'a finalement pas été validé" in refund.reason
    assert sent == [refund.pk]


def test_the_edit_form_warns_that_a_live_campaign_stops_until_approved(client, teacher, cooperative):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE)
    client.force_login(teacher)
    text = client.get(reverse("campaign_edit", kwargs={"slug": campaign.slug})).content.decode()
    assert "sa page comme les dons sont suspendus" in text


def test_a_description_sent_back_with_browser_line_breaks_is_not_a_change(animator, teacher, cooperative):
    from trousse.moderation.selectors import campaign_diff

    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUBMITTED, description="Premier paragraphe.\n\nSecond paragraphe.")
    review_approve(actor=animator, campaign=campaign)
    campaign.refresh_from_db()
    # The edit form posts the description untouched, as a browser sends a textarea: \r\n.
    campaign = campaign_update(
        actor=teacher, campaign=campaign, summary="Un résumé corrigé.", description="Premier paragraphe.\r\n\r\nSecond paragraphe."
    )
    assert [change.field for change in campaign_diff(campaign=campaign)] == ["summary"]


def test_saving_the_form_unchanged_does_not_send_an_approved_campaign_back_to_review(animator, teacher, cooperative):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUBMITTED, description="Premier paragraphe.\n\nSecond paragraphe.")
    review_approve(actor=animator, campaign=campaign)
    campaign.refresh_from_db()
    campaign = campaign_update(actor=teacher, campaign=campaign, description="Premier paragraphe.\r\n\r\nSecond paragraphe.\r\n")
    assert campaign.status == Status.APPROVED


def test_a_text_approved_with_browser_line_breaks_is_the_same_text(animator, teacher, cooperative):
    from trousse.moderation.selectors import campaign_diff

    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUBMITTED, description="Un.\r\n\r\nDeux.")
    review_approve(actor=animator, campaign=campaign)
    campaign.refresh_from_db()
    # Saved before line breaks were normalised: the snapshot holds \r\n, the next save \n.
    campaign = campaign_update(actor=teacher, campaign=campaign, summary="Un résumé corrigé.", description="Un.\n\nDeux.")
    assert [change.field for change in campaign_diff(campaign=campaign)] == ["summary"]
