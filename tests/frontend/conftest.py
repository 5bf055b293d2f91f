import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from trousse.campaigns.models import CampaignImage, Status
from tests import factories


def png_upload(name: str = "classe.png", size=(64, 48), colour=(40, 120, 200)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def add_images(campaign, count: int) -> list[CampaignImage]:
    """Picture rows without files: the pages only build their URLs."""
    return CampaignImage.objects.bulk_create(
        CampaignImage(
            campaign=campaign,
            large=f"campaigns/{campaign.pk}/large-{n}.jpg",
            thumbnail=f"campaigns/{campaign.pk}/thumb-{n}.jpg",
            width=1600,
            height=1200,
            alt_text=f"Les élèves au travail, photo {n}",
            consent_confirmed=True,
            position=n,
        )
        for n in range(count)
    )


@pytest.fixture
def live_campaign(cooperative, teacher):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE, title="Classe de mer à l'île d'Aix", slug="classe-de-mer")
    add_images(campaign, 2)
    return campaign


@pytest.fixture
def other_cooperative(other_ad):
    return factories.CooperativeFactory(ad=other_ad, city="Avignon")


@pytest.fixture
def other_teacher(cooperative):
    """A colleague in the same cooperative."""
    return factories.teacher_of(cooperative)


@pytest.fixture
def other_animator(other_ad):
    return factories.animator_of(other_ad)
