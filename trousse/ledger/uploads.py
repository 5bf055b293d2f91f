"""Checking the files a person uploads to the books: expense receipts and final report pictures.

Nothing is written anywhere until a file has passed every check, so that a
refused upload leaves no row and no file behind.
"""

import io
import re
import warnings
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from trousse.exceptions import ApplicationError

from .models import ReceiptKind

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# A receipt photo from a phone is at most ~50 megapixels; beyond, it is a decompression bomb.
MAX_IMAGE_PIXELS = 60_000_000
LARGE_SIDE = 2000
THUMBNAIL_SIDE = 400
# Active content has nothing to do in a receipt: refused rather than sanitised.
PDF_FORBIDDEN = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|Encrypt|RichMedia|XFA)\b")


@dataclass(frozen=True)
class CheckedReceipt:
    content: ContentFile
    kind: str
    original_name: str


@dataclass(frozen=True)
class ProcessedImage:
    large: ContentFile
    thumbnail: ContentFile
    width: int
    height: int


def _read_limited(upload) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise ApplicationError(_("Le fichier dépasse 10 Mo."), field_errors={"receipt": _("Le fichier dépasse 10 Mo.")})
    upload.seek(0)
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ApplicationError(_("Le fichier dépasse 10 Mo."), field_errors={"receipt": _("Le fichier dépasse 10 Mo.")})
    if not data:
        raise ApplicationError(_("Le fichier est vide."), field_errors={"receipt": _("Le fichier est vide.")})
    return data


def _check_pdf(data: bytes) -> None:
    refuse = _("Ce fichier n'est pas un PDF valide.")
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-2048:] or b" obj" not in data:
        raise ApplicationError(refuse, field_errors={"receipt": refuse})
    if PDF_FORBIDDEN.search(data):
        message = _("Ce PDF contient du contenu actif ou chiffré (JavaScript, lancement de programme, chiffrement) : enregistrez-le ou imprimez-le en PDF simple.")
        raise ApplicationError(message, field_errors={"receipt": message})


def _reencode_image(data: bytes) -> ProcessedImage:
    """Verify, then re-encode from pixels only: EXIF, GPS and any trailing payload are dropped."""
    refuse = _("Ce fichier n'est ni une image (JPEG, PNG, WebP) ni un PDF.")
    bomb = _("Cette image est trop grande (nombre de pixels) : réduisez-la avant de l'envoyer.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in {"JPEG", "PNG", "WEBP"}:
                    raise ApplicationError(refuse, field_errors={"receipt": refuse})
                if probe.width * probe.height > MAX_IMAGE_PIXELS:
                    raise ApplicationError(bomb, field_errors={"receipt": bomb})
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                image = ImageOps.exif_transpose(image)
                image = image.convert("RGB")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ApplicationError(bomb, field_errors={"receipt": bomb}) from error
    except ApplicationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ApplicationError(refuse, field_errors={"receipt": refuse}) from error

    large = image.copy()
    large.thumbnail((LARGE_SIDE, LARGE_SIDE))
    thumbnail = image.copy()
    thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    large_bytes, thumb_bytes = io.BytesIO(), io.BytesIO()
    large.save(large_bytes, format="JPEG", quality=85, optimize=True)
    thumbnail.save(thumb_bytes, format="JPEG", quality=80, optimize=True)
    return ProcessedImage(
        large=ContentFile(large_bytes.getvalue(), name="image.jpg"),
        thumbnail=ContentFile(thumb_bytes.getvalue(), name="thumbnail.jpg"),
        width=large.width,
        height=large.height,
    )


def process_picture(upload) -> ProcessedImage:
    """A picture for a public page, through the campaigns app's processor when it is there."""
    try:
        from trousse.campaigns.images import process_image_upload
    except ImportError:  # the campaigns work is not merged yet: same rules, local encoder
        return _reencode_image(_read_limited(upload))
    upload.seek(0)
    return process_image_upload(upload)


def _looks_like_a_picture(data: bytes) -> bool:
    return data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def check_receipt_upload(upload) -> CheckedReceipt:
    """A receipt: a PDF (checked, kept as is) or a picture (re-encoded as JPEG)."""
    data = _read_limited(upload)
    original_name = (getattr(upload, "name", "") or "justificatif")[-200:]
    if data.lstrip()[:5] == b"%PDF-" or original_name.lower().endswith(".pdf"):
        _check_pdf(data)
        return CheckedReceipt(content=ContentFile(data, name="receipt.pdf"), kind=ReceiptKind.PDF, original_name=original_name)
    if not _looks_like_a_picture(data):
        refuse = _("Ce fichier n'est ni une image (JPEG, PNG, WebP) ni un PDF.")
        raise ApplicationError(refuse, field_errors={"receipt": refuse})
    try:
        processed = process_picture(upload)
    except ApplicationError as error:
        # Same refusal, shown next to the receipt field of the expense form.
        raise ApplicationError(error.message, field_errors={"receipt": error.message}) from error
    return CheckedReceipt(content=ContentFile(processed.large.read(), name="receipt.jpg"), kind=ReceiptKind.IMAGE, original_name=original_name)
