"""A treasurer on a phone and on a laptop: tables scroll in their box, the header keeps to one line."""

import pytest
from django.utils import timezone

from tests import factories
from trousse.campaigns.models import Status
from trousse.payments.models import DonationStatus

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAGE_WIDTH = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"


@pytest.fixture
def campaign(journey_people):
    cooperative = journey_people["teacher"].memberships.get().cooperative
    campaign = factories.CampaignFactory(cooperative=cooperative, status=Status.SUCCEEDED, title="Des jeux de société coopératifs pour la classe")
    factories.DonationFactory(campaign=campaign, status=DonationStatus.SUCCEEDED, succeeded_at=timezone.now())
    return campaign


@pytest.fixture
def treasurer(campaign):
    return factories.treasurer_of(campaign.cooperative.ad, email="tresorerie@occe79.example.org")


def test_on_a_phone_only_the_tables_scroll_sideways(page, campaign, treasurer, log_in):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(treasurer.email)
    # The donors list, then the access log that reading it filled.
    for url in ("/espace/", f"/dons/projet/{campaign.slug}/donateurs/", "/espace/journal-des-acces/"):
        page.goto(url)
        scroll_width, client_width = page.evaluate(PAGE_WIDTH)
        assert scroll_width <= client_width, url
        box = page.locator(".table-scroll").first
        assert box.evaluate("box => box.scrollWidth > box.clientWidth"), url  # the table is wider than the phone


def test_on_a_laptop_the_treasurers_header_is_one_line(page, treasurer, log_in):
    log_in(treasurer.email)
    brand = page.locator(".brand").bounding_box()
    for control in (page.get_by_role("link", name="Journal des accès", exact=True), page.get_by_role("button", name="Se déconnecter"), page.locator("#language-select"), page.get_by_role("button", name="Changer")):
        box = control.bounding_box()
        # On the brand's line, centred on it.
        assert abs((box["y"] + box["height"] / 2) - (brand["y"] + brand["height"] / 2)) < 4
