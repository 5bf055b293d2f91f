"""A donor opens the e-mailed link in a real browser and erases their data.

A browser is what this needs: the page's referrer policy decides the Origin header
of its forms, and with "no-referrer" Chromium sent "Origin: null", which the CSRF
check refused (a 403 where the donor expected their data gone).
"""

import pytest
from django.urls import reverse

from tests import factories
from trousse.campaigns.models import Status
from trousse.payments.models import Donation, DonationStatus
from trousse.payments.services import donation_transition
from trousse.privacy import services
from trousse.privacy.models import DonorDataRequest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DONOR = "camille.martin@example.org"


def test_the_donor_erases_their_data_from_the_e_mailed_link(page, transactional_db):
    campaign = factories.CampaignFactory(status=Status.LIVE)
    donation = factories.DonationFactory(campaign=campaign, email=DONOR, last_name="Martin", wants_tax_receipt=False)
    donation_transition(donation_id=donation.pk, to_status=DonationStatus.SUCCEEDED, source="test")
    data_request = DonorDataRequest.objects.create(email=DONOR)
    link = reverse("privacy_donor_data", kwargs={"token": services.donor_data_token(data_request=data_request)})

    page.goto(link)
    page.get_by_role("button", name="Effacer mes données personnelles").click()

    page.get_by_text("Vos données personnelles ont été effacées.").wait_for()
    donation.refresh_from_db()
    assert donation.last_name != "Martin" and donation.email != DONOR
    assert Donation.objects.get(pk=donation.pk).status == DonationStatus.SUCCEEDED
