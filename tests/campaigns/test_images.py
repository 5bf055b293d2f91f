import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from trousse.campaigns.images import MAX_UPLOAD_BYTES, process_image_upload
from trousse.exceptions import ApplicationError

from .conftest import jpeg_upload


def _exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Appareil"  # Make
    exif[0x0112] = 1  # Orientation
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (46.0, 19.0, 25.0)
    gps[3] = "W"
    gps[4] = (0.0, 27.0, 40.0)
    return exif


def _png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge picture: a decompression bomb in miniature."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def test_upload_is_reencoded_without_exif_or_gps():
    upload = jpeg_upload(exif=_exif_with_gps())
    assert Image.open(io.BytesIO(upload.read())).getexif().get_ifd(0x8825)  # the original has GPS
    processed = process_image_upload(upload)
    for content in (processed.large, processed.thumbnail):
        image = Image.open(io.BytesIO(content.read()))
        assert image.format == "JPEG"
        assert not image.getexif()
        assert "exif" not in image.info
    assert (processed.width, processed.height) == (800, 600)


def test_large_pictures_are_scaled_down_and_thumbnails_made():
    processed = process_image_upload(jpeg_upload(size=(4000, 3000)))
    assert (processed.width, processed.height) == (1600, 1200)
    thumbnail = Image.open(io.BytesIO(processed.thumbnail.read()))
    assert thumbnail.size == (480, 360)


def test_png_with_transparency_is_flattened_to_jpeg():
    buffer = io.BytesIO()
    Image.new("RGBA", (300, 200), (0, 0, 0, 0)).save(buffer, format="PNG")
    processed = process_image_upload(SimpleUploadedFile("dessin.png", buffer.getvalue()))
    image = Image.open(io.BytesIO(processed.large.read()))
    assert image.mode == "RGB"
    assert image.getpixel((10, 10)) == (255, 255, 255)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"%PDF-1.4 not a picture", "n'est pas une image"),
        (b"", "vide"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "n'est pas une image"),  # a truncated JPEG
        (b"GIF89a<script>alert(1)</script>", "n'est pas une image"),
    ],
)
def test_non_images_are_refused_with_a_readable_error(content, message):
    with pytest.raises(ApplicationError) as error:
        process_image_upload(SimpleUploadedFile("x.jpg", content))
    assert message in error.value.message
    assert error.value.status_code == 400
    assert "upload" in error.value.field_errors


def test_decompression_bombs_are_refused_before_decoding():
    with pytest.raises(ApplicationError) as error:
        process_image_upload(SimpleUploadedFile("bombe.png", _png_header_only(30_000, 30_000)))
    assert "trop grande" in error.value.message


def test_files_over_ten_megabytes_are_refused():
    upload = SimpleUploadedFile("enorme.jpg", b"\xff" * (MAX_UPLOAD_BYTES + 1))
    with pytest.raises(ApplicationError) as error:
        process_image_upload(upload)
    assert "10 Mo" in error.value.message
