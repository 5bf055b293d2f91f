import pytest
from rest_framework.test import APIClient

from tests import factories

pytestmark = pytest.mark.django_db


def test_token_from_email_and_password_then_used_for_the_api(teacher, cooperative):
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"email": teacher.email.upper(), "password": "motdepasse-de-test"}, format="json")
    assert response.status_code == 200
    token = response.data["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.data["email"] == teacher.email
    assert me.data["memberships"] == [
        {
            "role": "teacher",
            "role_label": "enseignant·e",
            "cooperative": {"id": cooperative.pk, "name": cooperative.name, "city": cooperative.city},
            "ad": {"id": cooperative.ad.pk, "number": "79", "name": cooperative.ad.name},
        }
    ]
    assert me.data["is_federation_admin"] is False
    # The same token twice; revoked, it no longer opens anything.
    assert APIClient().post("/api/v1/auth/token/", {"email": teacher.email, "password": "motdepasse-de-test"}, format="json").data["token"] == token
    assert client.post("/api/v1/auth/token/revoke/").status_code == 204
    response = client.get("/api/v1/me/")
    assert response.status_code == 403
    assert "Token" in str(response.data["detail"]) or "jeton" in str(response.data["detail"]).lower()


@pytest.mark.parametrize("email, password", [("personne@ac-poitiers.fr", "motdepasse-de-test"), (None, "mauvais")])
def test_wrong_credentials_are_one_readable_400(teacher, email, password):
    response = APIClient().post("/api/v1/auth/token/", {"email": email or teacher.email, "password": password}, format="json")
    assert response.status_code == 400
    assert response.data["detail"] == "Adresse e-mail ou mot de passe incorrect."


def test_inactive_users_get_no_token(teacher):
    teacher.is_active = False
    teacher.save()
    response = APIClient().post("/api/v1/auth/token/", {"email": teacher.email, "password": "motdepasse-de-test"}, format="json")
    assert response.status_code == 400


def test_session_auth_works_too(animator):
    client = APIClient()
    client.force_login(animator)
    response = client.get("/api/v1/me/")
    assert response.data["memberships"][0]["ad"]["number"] == "79"


def test_federation_admin_flag(db):
    client = APIClient()
    client.force_authenticate(factories.federation_admin())
    assert client.get("/api/v1/me/").data["is_federation_admin"] is True
