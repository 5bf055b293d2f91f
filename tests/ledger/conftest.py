import io
import struct
import zlib

import pytest
from PIL import Image

from tests import factories

from .helpers import succeeded_campaign


@pytest.fixture
def second_mandataire(cooperative):
    return factories.mandataire_of(cooperative)


@pytest.fixture
def other_cooperative(ad):
    return factories.CooperativeFactory(ad=ad, iban=factories.COOPERATIVE_IBANS[1])


@pytest.fixture
def funded_campaign(cooperative, teacher, treasurer):
    """A campaign whose 1 100 € were raised and fully paid to the cooperative."""
    from trousse.ledger import services

    campaign = succeeded_campaign(cooperative, teacher=teacher)
    batch = services.disbursement_batch_create(actor=treasurer, ad=cooperative.ad, requests=[services.DisbursementRequest(campaign=campaign, amount_cents=110_000)])
    services.disbursement_batch_execute(actor=treasurer, batch=batch)
    campaign.refresh_from_db()
    return campaign


def jpeg_bytes(size=(64, 48), color=(200, 30, 30), exif: bool = False) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, color)
    if exif:
        exif_data = Image.Exif()
        exif_data[0x010F] = "PhoneMaker"  # Make
        image.save(buffer, format="JPEG", exif=exif_data)
    else:
        image.save(buffer, format="JPEG")
    return buffer.getvalue()


def png_bomb_bytes(width=40_000, height=40_000) -> bytes:
    """A PNG header claiming 1.6 gigapixels with almost no data: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + chunk(b"IEND", b"")


MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)
