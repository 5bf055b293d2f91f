"""The picture form says the formats the image service accepts: help text, refusal and file picker agree."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from trousse.campaigns.models import CampaignImage

pytestmark = pytest.mark.django_db

SIZE_NOTE = ", 10 Mo au plus."


def picture(pillow_format: str) -> SimpleUploadedFile:
    Image.init()  # every plugin registered, WebP's MIME type included
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (40, 120, 200)).save(buffer, format=pillow_format)
    return SimpleUploadedFile(f"classe.{pillow_format.lower()}", buffer.getvalue(), content_type=Image.MIME[pillow_format])


def names(formats_text: str) -> set[str]:
    """The lower-case names in « JPEG, PNG, WebP ou GIF »."""
    return {name.strip().lower() for name in re.split(r",| ou ", formats_text) if name.strip()}


def picture_form(client, campaign) -> tuple[str, str]:
    """The file picker's accept= and the formats its help text names."""
    html = client.get(reverse("campaign_manage", args=[campaign.slug])).content.decode()
    accept = re.search(r'<input type="file" name="upload" accept="([^"]*)"', html).group(1)
    help_text = re.search(r'<div class="helptext" id="id_upload_helptext">\s*(.*?)</div>', html, re.S).group(1)
    assert SIZE_NOTE in help_text
    return accept, help_text.split(SIZE_NOTE)[0]


def post(client, campaign, upload):
    return client.post(reverse("campaign_image_add", args=[campaign.slug]), {"upload": upload, "alt_text": "La classe", "consent_confirmed": "on"})


def test_help_text_refusal_and_file_picker_name_the_formats_the_service_accepts(client, teacher, campaign):
    client.force_login(teacher)
    accept, help_formats = picture_form(client, campaign)

    refused = post(client, campaign, picture("BMP"))
    assert refused.status_code == 400
    error_formats = re.search(r"pas une image lisible \(([^)]*)\)", refused.content.decode()).group(1)

    assert help_formats == error_formats == "JPEG, PNG, WebP ou GIF"
    assert names(help_formats) == {mime_type.split("/")[1] for mime_type in accept.split(",")}
    # And each format the picker offers goes through the image service.
    by_mime_type = {mime_type: pillow_format for pillow_format, mime_type in Image.MIME.items() if pillow_format != "MPO"}
    for mime_type in accept.split(","):
        assert post(client, campaign, picture(by_mime_type[mime_type])).status_code == 302, mime_type
    assert CampaignImage.objects.filter(campaign=campaign).count() == len(accept.split(","))
