import datetime

import pytest
from django.utils import timezone

from tests import factories
from trousse.campaigns.models import Status
from trousse.payments.models import DonationStatus, TaxReceipt, TaxReceiptForm
from trousse.payments.services import donation_transition

DONOR = "camille.martin@example.org"
OTHER_DONOR = "dominique.durand@example.org"


@pytest.fixture
def live_campaign(cooperative, teacher):
    return factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE)


def paid_donation(campaign, **fields):
    """A donation that went through the payments service: ledger row and raised amount included."""
    donation = factories.DonationFactory(campaign=campaign, **fields)
    donation, _changed = donation_transition(donation_id=donation.pk, to_status=DonationStatus.SUCCEEDED, source="test")
    return donation


def issue_receipt(donation, *, number: str = "79-2026-000001", issued_at: datetime.datetime | None = None) -> TaxReceipt:
    receipt = TaxReceipt.objects.create(
        ad=donation.campaign.cooperative.ad,
        year=2026,
        sequence=int(number.rsplit("-", 1)[1]),
        number=number,
        form=TaxReceiptForm.INDIVIDUAL,
        amount_cents=donation.amount_cents,
        donor_name=f"{donation.first_name} {donation.last_name}",
        donor_address=f"{donation.address_line}\n{donation.postal_code} {donation.city}",
        donor_email=donation.email,
        gift_date=timezone.localdate(),
        payment_form="carte bancaire",
        president_name="Claude Président",
    )
    receipt.donations.add(donation)
    if issued_at is not None:
        TaxReceipt.objects.filter(pk=receipt.pk).update(issued_at=issued_at)
        receipt.refresh_from_db()
    return receipt
