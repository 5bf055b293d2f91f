import re

import pytest
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_login_with_email_and_password_then_logout(client, teacher):
    response = client.post(reverse("login"), {"username": teacher.email, "password": "motdepasse-de-test"})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    assert "Se déconnecter" in client.get(reverse("dashboard")).content.decode()

    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 302  # back to the login page


def test_login_refused_with_a_clear_message(client, teacher):
    response = client.post(reverse("login"), {"username": teacher.email, "password": "mauvais"})
    assert response.status_code == 200
    assert "Saisissez une adresse e-mail et un mot de passe valides." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_private_pages_send_anonymous_visitors_to_login(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_password_reset_sends_a_link_that_sets_a_new_password(client, teacher):
    response = client.post(reverse("password_reset"), {"email": teacher.email})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [teacher.email] and "mot de passe" in message.subject

    link = re.search(r"http://testserver(/\S+)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200 and "Nouveau mot de passe" in form_page.content.decode()
    response = client.post(form_page.redirect_chain[-1][0], {"new_password1": "un-nouveau-secret-42", "new_password2": "un-nouveau-secret-42"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_complete")
    assert client.login(email=teacher.email, password="un-nouveau-secret-42")


def test_password_reset_for_an_unknown_address_says_the_same_and_sends_nothing(client):
    response = client.post(reverse("password_reset"), {"email": "personne@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_the_password_reset_form_names_the_address_as_the_login_form_does(client):
    french = client.get(reverse("password_reset"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Adresse e-mail" in french and "Courriel" not in french
    english = client.get(reverse("password_reset"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "E-mail address" in english
