from types import SimpleNamespace

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests import factories
from trousse.campaigns.models import CampaignImage, Status

ROLES = ["anonymous", "teacher", "other_teacher", "mandataire", "animator", "other_animator", "treasurer", "admin"]


@pytest.fixture
def world(ad, other_ad, cooperative, teacher, mandataire, animator, treasurer):
    """Every role of the matrix around one cooperative of AD 79 (another cooperative, another AD 84)."""
    other_cooperative = factories.CooperativeFactory(ad=ad)
    users = {
        "anonymous": None,
        "teacher": teacher,
        "other_teacher": factories.teacher_of(other_cooperative),
        "mandataire": mandataire,
        "animator": animator,
        "other_animator": factories.animator_of(other_ad),
        "treasurer": treasurer,
        "admin": factories.federation_admin(),
    }

    def campaign(status=Status.DRAFT, **fields):
        if status == Status.SUBMITTED:
            fields.setdefault("submitted_at", timezone.now())
        return factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=status, **fields)

    def image(of):
        return CampaignImage.objects.create(campaign=of, large=f"campaigns/{of.pk}/a.jpg", thumbnail=f"campaigns/{of.pk}/a_t.jpg", width=10, height=10, alt_text="x")

    return SimpleNamespace(users=users, campaign=campaign, image=image, cooperative=cooperative, other_cooperative=other_cooperative)


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client
