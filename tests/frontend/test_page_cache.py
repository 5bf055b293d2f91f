"""The public pages' cache: fresh after a donation or an edit, per language, never shared with signed-in visitors."""

import re

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage, Message
from django.test import Client, RequestFactory
from django.urls import reverse

from trousse.campaigns.cache import public_cache_bump
from trousse.campaigns.models import Status
from trousse.payments.models import DonationStatus
from trousse.payments.services import donation_transition
from tests import factories

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def page(client, campaign, **extra):
    return client.get(reverse("campaign_detail", args=[campaign.slug]), **extra)


def test_a_donation_shows_on_the_next_view_of_the_page(client, live_campaign, django_capture_on_commit_callbacks):
    assert "0\u00a0€" in page(client, live_campaign).content.decode()
    page(client, live_campaign)  # now served from the cache
    donation = factories.DonationFactory(campaign=live_campaign, amount_cents=4_200, public_message="Bravo la classe !")

    with django_capture_on_commit_callbacks(execute=True):
        donation_transition(donation_id=donation.pk, to_status=DonationStatus.SUCCEEDED, source="test")

    content = page(client, live_campaign).content.decode()
    assert "42\u00a0€" in content
    assert "Bravo la classe !" in content
    assert "42\u00a0€" in client.get(reverse("home")).content.decode(), "the listing's card too"


def test_an_edit_shows_once_the_campaign_version_is_bumped(client, live_campaign):
    page(client, live_campaign)
    live_campaign.description_html = "<p>Nous partons en mai.</p>"
    live_campaign.save()
    assert "Nous partons en mai." not in page(client, live_campaign).content.decode(), "served from the cache"

    public_cache_bump(live_campaign.pk)

    assert "Nous partons en mai." in page(client, live_campaign).content.decode()


def test_the_english_page_is_not_served_from_the_french_cache(client, live_campaign):
    french = page(client, live_campaign, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    home_fr = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Le budget" in french and "Faire connaître le projet" in french and "Les projets de classe à soutenir" in home_fr

    english = page(client, live_campaign, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    home_en = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'lang="en"' in english and "The budget" in english and "Spread the word" in english
    assert "Le budget" not in english and "Faire connaître le projet" not in english
    assert "Class projects to support" in home_en and "Les projets de classe à soutenir" not in home_en
    assert "Le budget" in page(client, live_campaign, HTTP_ACCEPT_LANGUAGE="fr").content.decode()


def test_each_visitor_gets_their_own_working_csrf_token_from_the_cached_page(live_campaign):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    page(first, live_campaign)  # fills the cache
    content = page(second, live_campaign).content.decode()
    tokens = set(TOKEN.findall(content))
    assert len(tokens) == 1, "the donation form and the language form carry the visitor's token"

    response = second.post(reverse("set_language"), {"language": "en", "next": "/", "csrfmiddlewaretoken": tokens.pop()})

    assert response.status_code == 302
    assert TOKEN.findall(page(first, live_campaign).content.decode())[0] not in content


def test_anonymous_visitors_can_revalidate_and_get_a_304(client, live_campaign, django_capture_on_commit_callbacks):
    response = page(client, live_campaign)
    assert "private" in response["Cache-Control"] and "no-cache" in response["Cache-Control"]
    assert "Cookie" in response["Vary"] and "Accept-Language" in response["Vary"]

    again = page(client, live_campaign, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304

    other_visitor = Client()
    assert page(other_visitor, live_campaign, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 200, "another CSRF cookie, another tag"
    donation = factories.DonationFactory(campaign=live_campaign, amount_cents=1_000)
    with django_capture_on_commit_callbacks(execute=True):
        donation_transition(donation_id=donation.pk, to_status=DonationStatus.SUCCEEDED, source="test")
    assert page(client, live_campaign, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 200, "the page changed"


def test_signed_in_visitors_never_get_the_anonymous_copy_and_are_not_cached(client, live_campaign, teacher):
    page(Client(), live_campaign)
    client.get(reverse("home"))
    client.force_login(teacher)

    response = page(client, live_campaign)
    home = client.get(reverse("home"))

    for content in (response.content.decode(), home.content.decode()):
        assert "Se déconnecter" in content and "Se connecter" not in content
    assert "no-store" in response["Cache-Control"] and "no-store" in home["Cache-Control"]
    assert "ETag" not in response


def test_pending_messages_are_shown_not_the_cached_copy(client, live_campaign):
    page(client, live_campaign)
    client.get(reverse("home"))
    storage = CookieStorage(RequestFactory().get("/"))
    client.cookies["messages"] = storage._encode([Message(constants.SUCCESS, "Merci pour votre don !")])

    response = page(client, live_campaign)

    assert "Merci pour votre don !" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert "Merci pour votre don !" not in page(Client(), live_campaign).content.decode()


def test_a_query_string_is_echoed_in_the_language_form_and_not_shared(client, live_campaign):
    page(client, live_campaign)
    url = reverse("campaign_detail", args=[live_campaign.slug])

    tagged = client.get(url, {"utm_source": "journal"}).content.decode()
    plain = client.get(url).content.decode()

    assert f'name="next" value="{url}?utm_source=journal"' in tagged
    assert f'name="next" value="{url}"' in plain


def test_home_filters_are_cached_per_query(client, cooperative, other_cooperative):
    factories.CampaignFactory(cooperative=cooperative, status=Status.LIVE, title="Classe de mer")
    factories.CampaignFactory(cooperative=other_cooperative, status=Status.LIVE, title="Chorale d'Avignon")
    client.get(reverse("home"))

    filtered = client.get(reverse("home"), {"departement": "84"}).content.decode()

    assert "Chorale" in filtered and "Classe de mer" not in filtered
    assert '<option value="84" selected>' in filtered, "the form shows the chosen département"
    assert "Classe de mer" in client.get(reverse("home")).content.decode()


def test_funded_campaign_page_shows_where_the_money_went(client, cooperative):
    campaign = factories.CampaignFactory(cooperative=cooperative, status=Status.FUNDED)
    assert "Où est allé l" in page(client, campaign).content.decode()
    live = factories.CampaignFactory(cooperative=cooperative, status=Status.LIVE)
    assert "Où est allé l" not in page(client, live).content.decode()
