"""On a phone a wide table scrolls inside its own box, never the whole page (site.css, .table-scroll).

The box keeps the table a table for screen readers and is a named region that takes the focus,
so a keyboard user can scroll it too. tests/ledger/test_wide_tables.py checks the books' pages.
"""

from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from trousse.campaigns import services as campaign_services
from trousse.campaigns.models import Status
from trousse.moderation import services as moderation_services
from trousse.payments.models import DonationStatus
from trousse.payments.tax_receipts import tax_receipt_issue
from trousse.privacy import services as privacy_services
from trousse.privacy.models import DonorDataRequest

pytestmark = pytest.mark.django_db

DONOR = "camille.martin@example.org"


class _Tables(HTMLParser):
    """Each <table> of a page with the scroll box it sits in (None if none), and the page's ids."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open_divs: list[dict] = []
        self.ids: set[str] = set()
        self.boxes: list[dict | None] = []

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "div":
            self.open_divs.append(attrs)
        elif tag == "table":
            self.boxes.append(next((div for div in reversed(self.open_divs) if "table-scroll" in div.get("class", "").split()), None))

    def handle_endtag(self, tag):
        if tag == "div":
            self.open_divs.pop()


def table_problems(html: str) -> tuple[int, list[str]]:
    """How many tables the page has, and what is wrong with their scroll boxes."""
    parser = _Tables()
    parser.feed(html)
    problems = []
    for n, box in enumerate(parser.boxes):
        if box is None:
            problems.append(f"table {n}: not inside a .table-scroll box")
            continue
        if box.get("role") != "region":
            problems.append(f"table {n}: its box is not a region")
        if box.get("tabindex") != "0":
            problems.append(f"table {n}: its box cannot take the focus")
        labelled_by = box.get("aria-labelledby", "").split()
        if not (box.get("aria-label", "").strip() or (labelled_by and all(id_ in parser.ids for id_ in labelled_by))):
            problems.append(f"table {n}: its box has no name (aria-labelledby={labelled_by})")
    return len(parser.boxes), problems


def assert_tables_scroll_in_their_box(response, *, at_least: int = 1) -> None:
    assert response.status_code == 200
    count, problems = table_problems(response.content.decode())
    assert count >= at_least, f"expected {at_least} table(s), found {count}"
    assert problems == []


@pytest.mark.parametrize("who", ["teacher", "animator", "treasurer"])
def test_the_dashboard_table_scrolls_in_its_box(client, request, campaign, who):
    client.force_login(request.getfixturevalue(who))
    assert_tables_scroll_in_their_box(client.get(reverse("dashboard")))


def test_the_review_queue_and_the_review_page(client, campaign, teacher, animator):
    submitted = campaign_services.campaign_submit(actor=teacher, campaign=campaign)
    client.force_login(animator)
    assert_tables_scroll_in_their_box(client.get(reverse("review_queue")))
    # Approved then edited: the page shows the changes and the budget, two tables.
    moderation_services.review_approve(actor=animator, campaign=submitted)
    campaign_services.campaign_update(actor=teacher, campaign=submitted, title="Classe de mer, nouveau titre")
    assert_tables_scroll_in_their_box(client.get(reverse("review_detail", args=[submitted.slug])), at_least=2)


def test_the_teachers_campaign_page(client, campaign, teacher):
    client.force_login(teacher)
    assert_tables_scroll_in_their_box(client.get(reverse("campaign_manage", args=[campaign.slug])))


@pytest.fixture
def donation(cooperative, teacher):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUCCEEDED)
    return factories.DonationFactory(campaign=campaign, email=DONOR, status=DonationStatus.SUCCEEDED, succeeded_at=timezone.now())


def test_the_donors_list_and_the_access_log(client, donation, treasurer):
    client.force_login(treasurer)
    assert_tables_scroll_in_their_box(client.get(reverse("campaign_donors", kwargs={"slug": donation.campaign.slug})))
    # Reading the donors list wrote the access log's rows.
    assert_tables_scroll_in_their_box(client.get(reverse("personal_data_access_log")))


def test_the_tax_receipts_page(client, donation, treasurer):
    tax_receipt_issue(donation=donation)
    client.force_login(treasurer)
    # The year's totals and the list of receipts.
    assert_tables_scroll_in_their_box(client.get(reverse("ad_receipts", kwargs={"ad_number": donation.campaign.cooperative.ad.number})), at_least=2)


def test_the_donors_own_data_page(client, donation):
    tax_receipt_issue(donation=donation)
    data_request = DonorDataRequest.objects.create(email=DONOR)
    url = reverse("privacy_donor_data", kwargs={"token": privacy_services.donor_data_token(data_request=data_request)})
    # Their donations and their receipts.
    assert_tables_scroll_in_their_box(client.get(url), at_least=2)
