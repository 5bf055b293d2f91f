"""The public pages run a constant number of queries, whatever the number of campaigns, pictures and lines."""

import pytest
from django.urls import reverse
from django.utils import timezone

from trousse.campaigns.models import BudgetCategory, CampaignUpdate, Status
from trousse.payments.models import DonationStatus
from tests import factories

from .conftest import add_images

pytestmark = pytest.mark.django_db

# Counted on an empty cache, the worst case. Home: départements, count, the page's cards with their covers.
HOME_MAX_QUERIES = 3
# The slug's id (once per process), then one statement: the campaign with its cooperative, AD,
# pictures, budget lines, news and donors' messages.
CAMPAIGN_MAX_QUERIES = 2
# The books' allowance: ledger sums, expenses per line, the final report and its pictures.
SPENDING_QUERIES = 7
# A funded campaign adds "where the money went": its budget view and the final report.
FUNDED_CAMPAIGN_MAX_QUERIES = CAMPAIGN_MAX_QUERIES + SPENDING_QUERIES


def make_live_campaigns(cooperative, count: int, *, pictures: int, lines: int):
    campaigns = []
    for n in range(count):
        budget = [(f"Ligne {i}", BudgetCategory.EQUIPMENT, 10_000) for i in range(lines)]
        campaign = factories.CampaignFactory(cooperative=cooperative, status=Status.LIVE, budget=budget, minimum_goal_cents=5_000, optimum_goal_cents=5_000)
        add_images(campaign, pictures)
        campaigns.append(campaign)
    return campaigns


@pytest.mark.parametrize("count", [1, 30])
def test_home_page_query_count_is_constant(client, cooperative, django_assert_max_num_queries, count):
    make_live_campaigns(cooperative, count, pictures=count, lines=2)
    with django_assert_max_num_queries(HOME_MAX_QUERIES):
        response = client.get(reverse("home"))
    assert response.status_code == 200


@pytest.mark.parametrize("count", [1, 30])
def test_filtered_home_page_query_count_is_constant(client, cooperative, django_assert_max_num_queries, count):
    make_live_campaigns(cooperative, count, pictures=2, lines=1)
    with django_assert_max_num_queries(HOME_MAX_QUERIES):
        response = client.get(reverse("home"), {"departement": cooperative.ad.number, "q": "classe", "page": "1"})
    assert response.status_code == 200


@pytest.mark.parametrize("count", [1, 30])
def test_campaign_page_query_count_is_constant(client, cooperative, teacher, django_assert_max_num_queries, count):
    (campaign,) = make_live_campaigns(cooperative, 1, pictures=count, lines=count)
    CampaignUpdate.objects.bulk_create(
        CampaignUpdate(campaign=campaign, author=teacher, title=f"Nouvelle {n}", body="...", body_html="<p>...</p>") for n in range(count)
    )
    for n in range(count):
        factories.DonationFactory(campaign=campaign, status=DonationStatus.SUCCEEDED, succeeded_at=timezone.now(), public_message=f"Merci {n}")
    with django_assert_max_num_queries(CAMPAIGN_MAX_QUERIES):
        response = client.get(reverse("campaign_detail", args=[campaign.slug]))
    assert response.status_code == 200
    content = response.content.decode()
    assert content.count("<h3>Nouvelle ") == count and content.count("<blockquote>Merci ") == count


@pytest.mark.parametrize("count", [1, 30])
def test_funded_campaign_page_query_count_is_constant(client, cooperative, django_assert_max_num_queries, count):
    budget = [(f"Ligne {i}", BudgetCategory.EQUIPMENT, 10_000) for i in range(count)]
    campaign = factories.CampaignFactory(cooperative=cooperative, status=Status.FUNDED, budget=budget, minimum_goal_cents=5_000, optimum_goal_cents=5_000)
    add_images(campaign, count)
    with django_assert_max_num_queries(FUNDED_CAMPAIGN_MAX_QUERIES):
        response = client.get(reverse("campaign_detail", args=[campaign.slug]))
    assert response.status_code == 200


def test_cached_home_page_runs_no_query(client, cooperative, django_assert_num_queries):
    make_live_campaigns(cooperative, 3, pictures=1, lines=1)
    client.get(reverse("home"), {"theme": "sciences"})
    with django_assert_num_queries(0):
        response = client.get(reverse("home"), {"theme": "sciences"})
    assert response.status_code == 200


def test_cached_campaign_page_runs_no_query(client, cooperative, django_assert_num_queries):
    (campaign,) = make_live_campaigns(cooperative, 1, pictures=3, lines=3)
    url = reverse("campaign_detail", args=[campaign.slug])
    client.get(url)
    # The copy is found by the campaign's cache version, which every change bumps.
    with django_assert_num_queries(0):
        response = client.get(url)
    assert response.status_code == 200 and "Ligne 2" in response.content.decode()
