"""Every page names the site's icon, and browsers asking for /favicon.ico get it instead of a 404."""

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse

pytestmark = pytest.mark.django_db

ICON = "frontend/favicon.svg"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_home_page_links_the_icon(client, language):
    client.cookies["django_language"] = language
    page = client.get(reverse("home"))
    assert page.status_code == 200
    assert f'<link rel="icon" href="{static(ICON)}" type="image/svg+xml">' in page.content.decode()


def test_favicon_ico_redirects_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302  # not permanent: a new icon must not hide behind a cached 301
    assert response["Location"] == static(ICON)


def test_the_icon_is_a_static_svg():
    path = finders.find(ICON)
    assert path is not None
    with open(path, encoding="utf-8") as icon:
        assert icon.read().lstrip().startswith("<svg")
