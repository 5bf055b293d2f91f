"""The error pages (404, 403, 400, 500, a CSRF failure) and the language switch's way back after a POST.

With DEBUG off, Django would otherwise answer its bare English pages, outside the site's frame.
"""

import html
import logging
import re

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.template.base import TextNode
from django.template.defaulttags import CommentNode
from django.template.loader import get_template
from django.test import Client
from django.urls import include, path, reverse
from django.utils import translation

from .conftest import png_upload


def _broken_view(request):
    raise RuntimeError("the database went away")


def _suspicious_view(request):
    raise SuspiciousOperation("a tampered request")


def _forbidden_view(request):
    raise PermissionDenied


# A URLconf for the tests that need a view failing on purpose (@pytest.mark.urls(__name__)).
urlpatterns = [
    path("test-erreurs/panne/", _broken_view),
    path("test-erreurs/suspect/", _suspicious_view),
    path("test-erreurs/interdit/", _forbidden_view),
    path("", include("config.urls")),
]

NEXT = re.compile(r'<input type="hidden" name="next" value="([^"]*)">')

ENGLISH = ("Page introuvable", "Cette page n'existe pas (ou plus).")


@pytest.fixture(autouse=True)
def _production_errors(settings):
    # Django shows its debug pages instead of 404.html and friends under DEBUG.
    settings.DEBUG = False


@pytest.fixture
def english():
    """The error strings in English, as the catalogue has them."""
    with translation.override("en"):
        translated = {french: translation.gettext(french) for french in ENGLISH}
    assert all(translated[french] != french for french in ENGLISH), "not in the English catalogue"
    return translated


def text(response) -> str:
    return html.unescape(response.content.decode())


def main_of(response) -> str:
    """The page's own content, without the header's menu (which links to the dashboard too)."""
    page = text(response)
    return page[page.index("<main") : page.index("</main>")]


def next_of(response) -> str:
    return html.unescape(NEXT.search(response.content.decode()).group(1))


# --- 404 ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unknown_address_is_a_french_page_in_the_site_frame(client):
    response = client.get("/nulle-part/")

    assert response.status_code == 404
    page = text(response)
    assert "Cette page n'existe pas (ou plus)." in page
    assert 'class="site-header"' in page and "La Trousse" in page and "Aller au contenu" in page
    assert f'href="{reverse("home")}">Revenir à l\'accueil</a>' in page
    assert "Not Found" not in page


@pytest.mark.django_db
def test_a_404_raised_by_a_view_does_not_show_its_technical_message(client):
    response = client.get(reverse("campaign_detail", args=["nexiste-pas"]))

    assert response.status_code == 404
    assert "Cette page n'existe pas (ou plus)." in text(response)
    assert "No Campaign matches" not in text(response)


@pytest.mark.django_db
def test_the_404_page_speaks_english_to_an_english_visitor(client, english):
    by_header = text(client.get("/nulle-part/", HTTP_ACCEPT_LANGUAGE="en"))
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    by_cookie = text(client.get("/nulle-part/"))

    for page in (by_header, by_cookie):
        assert '<html lang="en">' in page and "Skip to content" in page
        assert english["Cette page n'existe pas (ou plus)."] in page
        assert english["Page introuvable"] in page
        assert "Cette page n'existe pas" not in page


# --- 403 ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_signed_in_person_refused_a_page_is_sent_to_their_space(client, teacher):
    client.force_login(teacher)

    response = client.get(reverse("review_queue"))

    assert response.status_code == 403
    page = text(response)
    assert "Accès refusé" in page and "Votre compte ne permet pas d'ouvrir cette page." in page
    # The view's own reason, already translated, says which accounts may.
    assert "Les relectures sont réservées aux animateur·rices" in page
    assert f'<a href="{reverse("dashboard")}">Mon espace</a>' in main_of(response)
    assert reverse("login") not in main_of(response)
    assert 'class="site-header"' in page
    assert "403 Forbidden" not in page


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_visitor_refused_a_page_is_offered_to_log_in_and_come_back(client):
    response = client.get("/test-erreurs/interdit/?annee=2026")

    assert response.status_code == 403
    page = text(response)
    assert "Accès refusé" in page and "connectez-vous pour l'ouvrir" in page
    assert f'<a href="{reverse("login")}?next=/test-erreurs/interdit/%3Fannee%3D2026">Se connecter</a>' in page
    assert reverse("dashboard") not in main_of(response)
    # A bare PermissionDenied has no reason to show.
    assert "<p></p>" not in response.content.decode()


# --- CSRF ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_form_sent_without_its_token_gets_the_french_csrf_page(caplog):
    client = Client(enforce_csrf_checks=True)
    login = reverse("login")

    with caplog.at_level(logging.WARNING, logger="django.security.csrf"):
        response = client.post(login, {"username": "a@example.org", "password": "x"}, HTTP_REFERER=f"http://testserver{login}")

    assert response.status_code == 403
    page = text(response)
    assert "Formulaire expiré" in page and "il a expiré, ou la page a été ouverte depuis un autre site" in page
    assert "Rechargez la page du formulaire, puis réessayez." in page
    assert 'class="site-header"' in page
    # Back to the form (a GET: a fresh token), not to the refused POST.
    assert f'<a href="{login}">Revenir au formulaire</a>' in page
    # Django's reason is for the log, not the page.
    assert "CSRF cookie not set" not in page and "CSRF verification failed" not in page
    assert any("CSRF cookie not set" in record.getMessage() for record in caplog.records)


@pytest.mark.django_db
def test_a_csrf_failure_from_another_site_offers_no_way_back_there():
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("login"), {}, HTTP_REFERER="https://ailleurs.example/piege/")

    assert response.status_code == 403
    page = text(response)
    assert "Revenir au formulaire" not in page and "ailleurs.example" not in page


# --- 400 and 500 --------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_suspicious_request_gets_the_400_page_in_the_frame(client):
    response = client.get("/test-erreurs/suspect/")

    assert response.status_code == 400
    page = text(response)
    assert "Demande invalide" in page and 'class="site-header"' in page
    assert "tampered" not in page


def test_a_post_with_a_refused_host_still_gets_the_400_page(client):
    # No database here: the request stops at CommonMiddleware, before the session's user is read.
    response = client.post("/", HTTP_HOST="ailleurs.example", HTTP_REFERER="http://ailleurs.example/")

    assert response.status_code == 400
    assert "Demande invalide" in text(response)
    assert next_of(response) == reverse("home")


@pytest.mark.urls(__name__)
def test_the_500_page_needs_neither_the_database_nor_the_request(client):
    # No django_db mark: a query from the page would fail the test.
    client.raise_request_exception = False

    response = client.get("/test-erreurs/panne/")

    assert response.status_code == 500
    page = text(response)
    assert "<title>Erreur du serveur · La Trousse</title>" in page
    assert "Le site n'a pas pu afficher cette page" in page
    assert "This page could not be shown" in page
    assert page.index("Le site n'a pas pu") < page.index("This page could not be shown")
    assert '<a href="/">Revenir à l\'accueil</a>' in page
    assert "the database went away" not in page
    # Plain markup only: no tag or variable that could fail, or need a context, while the site is failing.
    nodes = get_template("500.html").template.nodelist
    assert all(isinstance(node, (TextNode, CommentNode)) for node in nodes)


# --- the language switch ------------------------------------------------------------------------


@pytest.mark.django_db
def test_after_a_form_with_errors_the_language_switch_returns_to_the_page_it_came_from(client, teacher, campaign):
    client.force_login(teacher)
    manage = reverse("campaign_manage", args=[campaign.slug])
    photos = reverse("campaign_image_add", args=[campaign.slug])  # POST only

    response = client.post(photos, {"upload": png_upload(), "alt_text": "La classe"}, HTTP_REFERER=f"http://testserver{manage}?onglet=photos")

    assert response.status_code == 400 and "accord des parents" in response.content.decode()
    assert next_of(response) == f"{manage}?onglet=photos"
    switched = client.post(reverse("set_language"), {"language": "en", "next": next_of(response)})
    assert switched.status_code == 302 and switched["Location"] == f"{manage}?onglet=photos"
    assert client.get(switched["Location"]).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "referer", ["https://ailleurs.example/espace/", "http://testserver//ailleurs.example/espace/", None], ids=["foreign", "foreign-in-path", "none"]
)
def test_after_a_form_with_errors_without_a_referer_of_this_site_the_switch_goes_home(client, teacher, campaign, referer):
    client.force_login(teacher)
    headers = {"HTTP_REFERER": referer} if referer else {}

    response = client.post(reverse("campaign_image_add", args=[campaign.slug]), {"upload": png_upload(), "alt_text": "La classe"}, **headers)

    assert response.status_code == 400
    assert next_of(response) == reverse("home")


@pytest.mark.django_db
def test_on_a_page_read_with_get_the_switch_returns_to_the_same_address(client, live_campaign):
    url = reverse("campaign_detail", args=[live_campaign.slug]) + "?from=mail&x=1"

    response = client.get(url, HTTP_REFERER="http://testserver/ailleurs/")

    assert next_of(response) == url
