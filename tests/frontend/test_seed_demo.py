import pytest
from django.core.management import call_command

from trousse.accounts.models import Cooperative, DepartmentalAssociation, Membership, User
from trousse.accounts.validators import validate_iban, validate_siret, validate_uai
from trousse.campaigns.models import Campaign, CampaignImage, Status

pytestmark = pytest.mark.django_db


def snapshot():
    return {
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "cooperatives": Cooperative.objects.count(),
        "campaigns": sorted(Campaign.objects.values_list("title", "status", "raised_cents")),
        "images": CampaignImage.objects.count(),
    }


def test_seed_demo_covers_every_state_and_running_it_twice_changes_nothing(capsys):
    call_command("seed_demo")
    first = snapshot()
    output = capsys.readouterr().out
    assert f"({len(first['campaigns'])} projets créés cette fois-ci)" in output
    assert "trousse-demo-2025" in output and "enseignant.79@demo.latrousse.fr" in output and "animateur.84@demo.latrousse.fr" in output

    assert set(DepartmentalAssociation.objects.values_list("number", flat=True)) == {"79", "84"}
    assert first["cooperatives"] >= 6 and len(first["campaigns"]) >= 12
    assert {status for _title, status, _raised in first["campaigns"]} == set(Status.values)
    assert all(campaign.images.exists() and campaign.budget_lines.exists() for campaign in Campaign.objects.all())
    for cooperative in Cooperative.objects.all():
        validate_uai(cooperative.uai)
        validate_iban(cooperative.iban)
    for ad in DepartmentalAssociation.objects.all():
        validate_siret(ad.siret)
    assert User.objects.get(email="enseignant.79@demo.latrousse.fr").check_password("trousse-demo-2025")
    # The README's mandataire can try the books: a funded project of their cooperative.
    mandataire_coop = Membership.objects.get(user__email="mandataire.79@demo.latrousse.fr").cooperative
    assert Campaign.objects.filter(cooperative=mandataire_coop, status=Status.FUNDED).exists()

    call_command("seed_demo")
    assert snapshot() == first
    # The second run says, in French, that it created nothing.
    assert "(aucun projet créé cette fois-ci)" in capsys.readouterr().out
