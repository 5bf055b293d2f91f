"""Every uploaded picture is decoded, checked and re-encoded: nothing of the original file survives.

Re-encoding drops EXIF (GPS position of a school, serial numbers), any payload
hidden after the image data and any format trick a browser might sniff.
"""

import io
import uuid
import warnings
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from trousse.exceptions import ApplicationError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# 40 megapixels: more than any phone takes, far less than a decompression bomb
# needs (a 40 MP RGB image is 120 MB in memory, our ceiling per upload).
MAX_PIXELS = 40_000_000
LARGE_SIZE = (1600, 1600)
THUMBNAIL_SIZE = (480, 360)
JPEG_QUALITY = 85


@dataclass(frozen=True)
class PictureFormat:
    name: str  # as people call it
    mime_type: str  # what the file picker offers
    pillow_formats: frozenset[str]  # what Image.open() reports


# The one list of what a picture may be: the validator, the file picker's accept= and the words
# of the help text and of the refusal are all derived from it, so they cannot disagree.
PICTURE_FORMATS = (
    # MPO is how Pillow reports the JPEGs many phones save (several frames): a JPEG to the person.
    PictureFormat("JPEG", "image/jpeg", frozenset({"JPEG", "MPO"})),
    PictureFormat("PNG", "image/png", frozenset({"PNG"})),
    PictureFormat("WebP", "image/webp", frozenset({"WEBP"})),
    PictureFormat("GIF", "image/gif", frozenset({"GIF"})),
)
ACCEPTED_FORMATS = frozenset().union(*(picture_format.pillow_formats for picture_format in PICTURE_FORMATS))
ACCEPT_ATTRIBUTE = ",".join(picture_format.mime_type for picture_format in PICTURE_FORMATS)


def accepted_formats_text() -> str:
    """The formats as a person reads them, in the active language: « JPEG, PNG, WebP ou GIF ».

    The final "ou" / "or" comes from Django's own catalogue (get_text_list).
    """
    return str(get_text_list([picture_format.name for picture_format in PICTURE_FORMATS]))


@dataclass(frozen=True)
class ProcessedImage:
    large: ContentFile
    thumbnail: ContentFile
    width: int
    height: int


def _refuse(message: str) -> ApplicationError:
    return ApplicationError(message, field_errors={"upload": message})


def _read_upload(upload) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise _refuse(_("L'image dépasse 10 Mo : réduisez-la avant de l'envoyer."))
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise _refuse(_("L'image dépasse 10 Mo : réduisez-la avant de l'envoyer."))
    if not data:
        raise _refuse(_("Le fichier envoyé est vide."))
    return data


def _open_checked(data: bytes) -> Image.Image:
    not_an_image = _refuse(_("Ce fichier n'est pas une image lisible (%(formats)s).") % {"formats": accepted_formats_text()})
    too_big = _refuse(_("Cette image est trop grande (plus de 40 millions de pixels)."))
    try:
        with warnings.catch_warnings():
            # Pillow only warns below twice its own limit: make the warning a refusal.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format not in ACCEPTED_FORMATS:
                raise not_an_image
            width, height = probe.size
            if width <= 0 or height <= 0:
                raise not_an_image
            # Checked on the header, before a single pixel is decoded.
            if width * height > MAX_PIXELS:
                raise too_big
            probe.verify()
            # verify() leaves the image unusable: open again to decode it.
            image = Image.open(io.BytesIO(data))
            image.load()
    except ApplicationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise too_big from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, TypeError, IndexError) as error:
        raise not_an_image from error
    return image


def _flatten(image: Image.Image) -> Image.Image:
    """Upright, RGB, on a white background, with no metadata at all."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        clean = Image.new("RGB", rgba.size, "white")
        clean.paste(rgba, mask=rgba.getchannel("A"))
        return clean
    rgb = image.convert("RGB")
    # A fresh image carries no `info` (EXIF, XMP, ICC, comments) from the upload.
    clean = Image.new("RGB", rgb.size)
    clean.paste(rgb)
    return clean


def _encode(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return buffer.getvalue()


def process_image_upload(upload) -> ProcessedImage:
    """Check and re-encode an uploaded picture into a large JPEG and a thumbnail.

    Refuses (ApplicationError, a 400) files over 10 MB, anything Pillow cannot
    decode as one of PICTURE_FORMATS, and decompression bombs.
    """
    data = _read_upload(upload)
    image = _flatten(_open_checked(data))
    large = image.copy()
    large.thumbnail(LARGE_SIZE, Image.Resampling.LANCZOS)
    thumbnail = ImageOps.fit(image, THUMBNAIL_SIZE, Image.Resampling.LANCZOS)
    name = uuid.uuid4().hex
    return ProcessedImage(
        large=ContentFile(_encode(large), name=f"{name}.jpg"),
        thumbnail=ContentFile(_encode(thumbnail), name=f"{name}_vignette.jpg"),
        width=large.width,
        height=large.height,
    )
