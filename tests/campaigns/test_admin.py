"""The federation's admin: what it shows of a campaign, and what it leaves to the services."""

import re

import pytest
from django.urls import reverse

from tests import factories
from trousse.campaigns.models import CampaignImage, Status

pytestmark = pytest.mark.django_db


def _picture(campaign, alt_text: str, *, published: bool, position: int) -> CampaignImage:
    # Rows without files: the admin only builds their URLs.
    return CampaignImage.objects.create(
        campaign=campaign, large=f"campaigns/{position}.jpg", thumbnail=f"campaigns/{position}_t.jpg", width=10, height=10,
        alt_text=alt_text, consent_confirmed=True, position=position, published=published,
    )


def test_the_admin_shows_which_pictures_are_published_without_letting_it_publish_one(admin_client):
    campaign = factories.CampaignFactory(status=Status.LIVE)
    _picture(campaign, "Portrait de groupe", published=True, position=0)
    _picture(campaign, "Le phare, en attente", published=False, position=1)

    page = admin_client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).content.decode()

    rows = {alt: row for row in re.findall(r'<tr[^>]*id="images-\d+".*?</tr>', page, re.S) for alt in ("Portrait de groupe", "Le phare, en attente") if alt in row}
    assert "Publiée" in page.split('id="images-group"')[1].split("</thead>")[0]
    # The pending picture is the one the animator has not approved yet; consent is confirmed on both.
    assert 'alt="False"' not in rows["Portrait de groupe"] and 'alt="False"' in rows["Le phare, en attente"]
    # Shown, not editable: publishing is the animator's decision on the revision.
    assert not re.search(r'name="images-\d+-published"', page)
