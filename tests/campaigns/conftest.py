import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from trousse.campaigns.services import BudgetLineData


def jpeg_upload(name="photo.jpg", size=(800, 600), exif=None, color=(200, 80, 40)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, color)
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(buffer, format="JPEG", **kwargs)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def campaign_values(cooperative):
    today = timezone.localdate()
    return {
        "cooperative": cooperative,
        "title": "Classe de mer à l'île d'Aix",
        "summary": "Vingt-quatre élèves découvrent l'estran.",
        "description": "Nous partons **trois jours**.",
        "theme": "school_trip",
        "school_level": "elementaire",
        "pupils_count": 24,
        "minimum_goal_cents": 100_000,
        "optimum_goal_cents": 150_000,
        "co_funding_cents": 20_000,
        "start_date": today + datetime.timedelta(days=3),
        "deadline": today + datetime.timedelta(days=40),
        "budget_lines": [BudgetLineData("Transport en car", "transport", 60_000), BudgetLineData("Hébergement", "accommodation", 110_000)],
    }
