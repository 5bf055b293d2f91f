"""A person finds their pages: the menu by role, the books and pictures from a campaign, the donors' rights in the footer."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from trousse.accounts.models import Membership, Role
from trousse.campaigns.models import Status

pytestmark = pytest.mark.django_db

BOOKS = reverse("books_home")
RECEIPTS = reverse("receipts_index")
ACCESS_LOG = reverse("personal_data_access_log")
PRIVACY = reverse("privacy_request")


def menu(response) -> str:
    """The main navigation only (the page's own content may link to the same places)."""
    html = response.content.decode()
    start = html.index('<nav class="site-nav"')
    return html[start : html.index("</nav>", start)]


def menu_links(client, user) -> set[str]:
    client.force_login(user)
    html = menu(client.get(PRIVACY))
    return {url for url in (BOOKS, RECEIPTS, ACCESS_LOG) if f'href="{url}"' in html}


def test_each_role_sees_the_back_office_pages_it_may_open(client, teacher, mandataire, animator, treasurer):
    assert menu_links(client, teacher) == set()
    assert menu_links(client, animator) == set()
    assert menu_links(client, mandataire) == {BOOKS}
    assert menu_links(client, treasurer) == {BOOKS, RECEIPTS, ACCESS_LOG}
    assert menu_links(client, factories.federation_admin()) == {BOOKS, RECEIPTS, ACCESS_LOG}


@pytest.mark.parametrize("who", ["mandataire", "treasurer"])
def test_every_menu_link_opens(client, request, who):
    user = request.getfixturevalue(who)
    for url in menu_links(client, user):
        assert client.get(url, follow=True).status_code == 200, url


def test_the_menu_costs_no_query_per_entry(client, cooperative, ad, teacher):
    """A user holding every role pays the same queries as a plain teacher: the menu reads the memoised scope."""
    everything = factories.teacher_of(cooperative)
    Membership.objects.create(user=everything, role=Role.MANDATAIRE, cooperative=cooperative)
    Membership.objects.create(user=everything, role=Role.ANIMATOR, ad=ad)
    Membership.objects.create(user=everything, role=Role.AD_TREASURER, ad=ad)
    counts = []
    for user in (teacher, everything):
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(PRIVACY)
        counts.append(len(queries))
    assert menu_links(client, everything) == {BOOKS, RECEIPTS, ACCESS_LOG}
    assert response.status_code == 200
    assert counts[0] == counts[1]


def test_a_visitor_finds_their_personal_data_page_in_the_footer(client):
    html = client.get(PRIVACY).content.decode()
    footer = html[html.index('<footer class="site-footer"') :]
    assert f'href="{PRIVACY}"' in footer and "Mes données personnelles" in footer
    assert not any(f'href="{url}"' in html for url in (BOOKS, RECEIPTS, ACCESS_LOG))


# --- from a campaign to its books and its pictures ---


@pytest.fixture
def succeeded(cooperative, teacher):
    return factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUCCEEDED, title="Classe verte au marais")


@pytest.fixture
def live(cooperative, teacher):
    return factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE, title="Une chorale à l'école")


@pytest.mark.parametrize("who", ["teacher", "mandataire", "animator", "treasurer"])
def test_the_dashboard_links_a_succeeded_campaign_to_its_books(client, request, succeeded, live, who):
    client.force_login(request.getfixturevalue(who))
    html = client.get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("books_campaign", args=[succeeded.slug])}"' in html
    # A live campaign has no books yet: no link to an empty page.
    assert reverse("books_campaign", args=[live.slug]) not in html


def test_the_campaign_page_leads_its_teacher_to_the_books_and_the_pictures_choice(client, teacher, succeeded):
    client.force_login(teacher)
    html = client.get(reverse("campaign_manage", args=[succeeded.slug])).content.decode()
    books = reverse("books_campaign", args=[succeeded.slug])
    pictures = reverse("picture_retention", args=[succeeded.slug])
    assert f'href="{books}"' in html and f'href="{pictures}"' in html
    assert client.get(books).status_code == 200
    assert client.get(pictures).status_code == 200


@pytest.mark.parametrize("who", ["mandataire", "other_teacher", "animator"])
def test_only_the_campaigns_own_teacher_is_offered_the_pictures_choice(client, request, succeeded, who):
    client.force_login(request.getfixturevalue(who))
    html = client.get(reverse("campaign_manage", args=[succeeded.slug])).content.decode()
    assert f'href="{reverse("books_campaign", args=[succeeded.slug])}"' in html
    assert reverse("picture_retention", args=[succeeded.slug]) not in html


def test_no_books_link_before_the_campaign_succeeds(client, teacher, live):
    client.force_login(teacher)
    html = client.get(reverse("campaign_manage", args=[live.slug])).content.decode()
    assert reverse("books_campaign", args=[live.slug]) not in html
    assert f'href="{reverse("picture_retention", args=[live.slug])}"' in html
