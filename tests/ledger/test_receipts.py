"""Receipts: pictures re-encoded, PDFs checked; a refused upload is a clear 400 that leaves no row and no file."""

import io
import os
import zipfile

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from trousse.ledger.models import Expense, ReceiptKind

from .conftest import MINIMAL_PDF, jpeg_bytes, png_bomb_bytes


def _files_under(root) -> list[str]:
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files]


def _post(client, campaign, upload):
    data = {
        "budget_line": campaign.budget_lines.first().pk,
        "date": timezone.localdate().isoformat(),
        "supplier": "Cars du Marais",
        "amount": "120,00",
        "payment_method": "transfer",
        "receipt": upload,
    }
    return client.post(f"/api/v1/books/campaigns/{campaign.slug}/expenses/create/", data, format="multipart")


@pytest.fixture
def api(mandataire):
    client = APIClient()
    client.force_authenticate(mandataire)
    return client


BAD_UPLOADS = {
    "wrong type": (SimpleUploadedFile("facture.txt", b"Ceci n'est pas une facture", content_type="text/plain"), "ni une image"),
    "fake pdf": (SimpleUploadedFile("facture.pdf", b"%PDF-1.4 nothing else here", content_type="application/pdf"), "PDF valide"),
    "pdf named jpg": (SimpleUploadedFile("photo.jpg", b"<html>hello</html>", content_type="image/jpeg"), "ni une image"),
    "pdf with javascript": (
        SimpleUploadedFile("facture.pdf", MINIMAL_PDF.replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), content_type="application/pdf"),
        "contenu actif",
    ),
    "decompression bomb": (SimpleUploadedFile("bombe.png", png_bomb_bytes(), content_type="image/png"), "trop grande"),
    "too large": (SimpleUploadedFile("facture.pdf", MINIMAL_PDF + b"%" * (10 * 1024 * 1024), content_type="application/pdf"), "10 Mo"),
    "empty": (SimpleUploadedFile("vide.pdf", b"", content_type="application/pdf"), ""),
}


@pytest.mark.parametrize("case", list(BAD_UPLOADS))
def test_bad_uploads_are_refused_and_leave_nothing_behind(case, api, funded_campaign):
    upload, message = BAD_UPLOADS[case]
    response = _post(api, funded_campaign, upload)
    assert response.status_code == 400, response.content[:300]
    assert message in response.content.decode()
    assert not Expense.objects.exists()
    assert _files_under(settings.MEDIA_ROOT) == []


def test_a_receipt_photo_is_reencoded_without_its_metadata(api, funded_campaign):
    response = _post(api, funded_campaign, SimpleUploadedFile("ticket.jpg", jpeg_bytes(exif=True), content_type="image/jpeg"))
    assert response.status_code == 201, response.content
    expense = Expense.objects.get()
    assert expense.receipt_kind == ReceiptKind.IMAGE and expense.receipt_original_name == "ticket.jpg"
    with expense.receipt.open("rb") as stored, Image.open(stored) as image:
        assert image.format == "JPEG"
        assert not image.getexif()


def test_a_pdf_receipt_is_kept_as_is(api, funded_campaign):
    response = _post(api, funded_campaign, SimpleUploadedFile("facture.pdf", MINIMAL_PDF, content_type="application/pdf"))
    assert response.status_code == 201, response.content
    expense = Expense.objects.get()
    with expense.receipt.open("rb") as stored:
        assert stored.read() == MINIMAL_PDF


def test_receipts_on_s3(api, funded_campaign, mandataire, s3_storage):
    """The same upload through django-storages' S3 backend, against moto's server over HTTP."""
    response = _post(api, funded_campaign, SimpleUploadedFile("facture.pdf", MINIMAL_PDF, content_type="application/pdf"))
    assert response.status_code == 201, response.content
    expense = Expense.objects.get()
    keys = [item["Key"] for item in s3_storage.list_objects_v2(Bucket=s3_storage.bucket_name).get("Contents", [])]
    assert keys == [expense.receipt.name] and keys[0].startswith(f"receipts/{expense.cooperative_id}/")
    # The ZIP export reads them back from the bucket.
    today = timezone.localdate().isoformat()
    zipped = api.get(f"/api/v1/books/cooperatives/{expense.cooperative_id}/receipts.zip", {"start": today, "end": today})
    assert zipped.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(zipped.streaming_content))) as archive:
        (name,) = archive.namelist()
        assert name.startswith(expense.receipt_reference) and archive.read(name) == MINIMAL_PDF
    # A refused upload leaves nothing in the bucket either.
    assert _post(api, funded_campaign, SimpleUploadedFile("x.pdf", b"%PDF-nope", content_type="application/pdf")).status_code == 400
    assert s3_storage.list_objects_v2(Bucket=s3_storage.bucket_name)["KeyCount"] == 1
