"""People and helpers for the browser journeys (the browser and `page` fixtures are in tests/plugins/browser.py)."""

import pytest

from tests import factories

# factories.UserFactory's password.
PASSWORD = "motdepasse-de-test"


@pytest.fixture
def journey_people(transactional_db):
    ad = factories.DepartmentalAssociationFactory(number="79", name="OCCE Deux-Sèvres")
    cooperative = factories.CooperativeFactory(ad=ad, school_name="École Jules-Ferry", city="Niort")
    return {
        "teacher": factories.teacher_of(cooperative, email="claire.moreau@ac-poitiers.fr", first_name="Claire", last_name="Moreau"),
        "animator": factories.animator_of(ad, email="animation@occe79.example.org", first_name="Paul", last_name="Girard"),
    }


@pytest.fixture
def log_in(page):
    """log_in(email): through the login form, as a person would (tests/e2e has no package to import helpers from)."""

    def log_in(email: str, password: str = PASSWORD) -> None:
        page.goto("/connexion/")
        page.get_by_label("Adresse e-mail").fill(email)
        page.get_by_label("Mot de passe").fill(password)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url("**/espace/")

    return log_in


@pytest.fixture
def log_out(page):
    def log_out() -> None:
        page.get_by_role("button", name="Se déconnecter").click()
        page.wait_for_url("**/")

    return log_out
