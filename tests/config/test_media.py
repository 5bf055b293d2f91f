import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("campaigns/1/photo.jpg", 200),
        ("final_reports/1/photo.jpg", 200),
        ("tax_receipts/79/2026/79-2026-000001.pdf", 404),
        ("signatures/signature.png", 404),
        ("receipts/3/facture.pdf", 404),
        ("campaigns/../tax_receipts/79/2026/79-2026-000001.pdf", 404),
    ],
)
def test_only_public_pictures_are_served_by_url(client, path, status):
    default_storage.save(path.replace("campaigns/../", ""), ContentFile(b"data"))
    assert client.get(f"/media/{path}").status_code == status
