"""Campaign set-ups shared by the campaigns' and moderation's tests."""

from django.utils import timezone

from tests import factories
from trousse.campaigns.models import Status
from trousse.campaigns.services import campaign_transition
from trousse.moderation.services import review_approve
from trousse.payments.models import DonationStatus
from trousse.payments.services import donation_transition


def donate(campaign, amount_cents: int):
    """A donation paid for real (through its transition: ledger, counters)."""
    donation = factories.DonationFactory(campaign=campaign, amount_cents=amount_cents)
    donation_transition(donation_id=donation.pk, to_status=DonationStatus.SUCCEEDED, source="test")
    return donation


def live_campaign_through_review(*, cooperative, teacher, animator, paid_cents: int = 3_000):
    """Approved by its animator, live for real (through its transition), one donation paid."""
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUBMITTED, submitted_at=timezone.now(), start_date=timezone.localdate())
    review_approve(actor=animator, campaign=campaign)
    campaign = campaign_transition(campaign=campaign, to_status=Status.LIVE)
    donate(campaign, paid_cents)
    campaign.refresh_from_db()
    return campaign
