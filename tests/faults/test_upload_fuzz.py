"""Hostile files against the two uploads: a campaign picture and an expense receipt.

Each is refused with a 400 and a sentence a person can read, and leaves
nothing behind: no row, no file in storage.
"""

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests import factories
from trousse.campaigns.models import CampaignImage, Status
from trousse.ledger.models import Expense, ExpensePaymentMethod

pytestmark = pytest.mark.django_db


def _jpeg(size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(out, "JPEG")
    return out.getvalue()


def _png(size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (40, 80, 200)).save(out, "PNG")
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims 50 000 × 50 000 pixels (2.5 gigapixels) in 60 bytes: a decompression bomb."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + _chunk(b"IEND", b"")


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.html", "<script>alert(document.cookie)</script>")
    return out.getvalue()


HOSTILE = {
    "empty.jpg": b"",
    "truncated.jpg": _jpeg()[:200],
    "truncated.png": _png()[:60],
    "gif-js-polyglot.gif": b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00*/=1;alert(document.domain);//\x00;",
    "huge.png": _png_header_only(50_000, 50_000),
    "page.jpg": b"<!doctype html><script>alert(1)</script>",
    "drawing.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "zip-only.jpg": _zip(),
}
JPEG_ZIP_POLYGLOT = _jpeg() + _zip()


def _stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


@pytest.fixture
def draft(cooperative, teacher):
    return factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.DRAFT)


@pytest.fixture
def expense(cooperative, mandataire):
    campaign = factories.CampaignFactory(cooperative=cooperative, status=Status.FUNDED)
    return Expense.objects.create(
        cooperative=cooperative,
        campaign=campaign,
        budget_line=campaign.budget_lines.first(),
        date=campaign.start_date,
        supplier="Librairie du Marais",
        amount_cents=4_500,
        payment_method=ExpensePaymentMethod.CARD,
        created_by=mandataire,
    )


def _post_picture(client, campaign, name: str, data: bytes):
    upload = SimpleUploadedFile(name, data, content_type="image/jpeg")
    return client.post(f"/api/v1/campaigns/{campaign.slug}/images/", {"upload": upload, "alt_text": "La classe", "consent_confirmed": "true"})


def _post_receipt(client, expense, name: str, data: bytes):
    upload = SimpleUploadedFile(name, data, content_type="image/jpeg")
    return client.post(f"/api/v1/books/expenses/{expense.pk}/receipt/", {"receipt": upload})


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_campaign_picture_is_refused_and_leaves_nothing(client, settings, teacher, draft, name):
    client.force_login(teacher)
    response = _post_picture(client, draft, name, HOSTILE[name])
    assert response.status_code == 400, response.content
    assert response.json()  # a readable refusal, not an HTML error page
    assert not CampaignImage.objects.exists()
    assert _stored_files(settings) == []


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_expense_receipt_is_refused_and_leaves_nothing(client, settings, mandataire, expense, name):
    client.force_login(mandataire)
    response = _post_receipt(client, expense, name, HOSTILE[name])
    assert response.status_code == 400, response.content
    assert response.json()
    expense.refresh_from_db()
    assert not expense.receipt and expense.receipt_kind == ""
    assert _stored_files(settings) == []


def test_a_jpeg_with_a_zip_appended_keeps_only_its_pixels(client, settings, teacher, mandataire, draft, expense):
    """A valid picture carrying an archive is re-encoded from its pixels: the archive never reaches storage."""
    client.force_login(teacher)
    picture = _post_picture(client, draft, "polyglot.jpg", JPEG_ZIP_POLYGLOT)
    client.force_login(mandataire)
    receipt = _post_receipt(client, expense, "polyglot.jpg", JPEG_ZIP_POLYGLOT)
    for response in (picture, receipt):
        assert response.status_code in (200, 201, 400), response.content
    stored = _stored_files(settings)
    assert all(b"PK\x03\x04" not in path.read_bytes() and b"payload.html" not in path.read_bytes() for path in stored)
    for path in stored:
        with Image.open(path) as image:
            image.verify()
