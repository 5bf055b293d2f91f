"""The tax receipt as a PDF (fpdf2), with the mentions of Cerfa n° 11580*05 / 16216*01.

`tax_receipt_content(receipt)` builds the text (what the law requires, testable as
data); `render_tax_receipt_pdf(receipt)` lays it out. Speed matters at year end
(25 000 receipts): the embedded font is cut down once per process to the Latin
glyphs, so each document parses and subsets a small font instead of DejaVu's
6 000 glyphs; a machine without DejaVu falls back to a core PDF font, with the
text transliterated to what that font can show.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import tempfile
import unicodedata
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import TextMode
from num2words import num2words

from trousse.money import format_euros

from .models import PaymentMethod, TaxReceipt, TaxReceiptForm, TaxReceiptStatus

logger = logging.getLogger(__name__)

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
FONT_REGULAR = "DejaVuSans.ttf"
# Latin, Latin-1, Latin Extended-A/B, general punctuation, the euro sign: every
# French name and most European ones. Anything else is transliterated.
FONT_UNICODES = [*range(0x20, 0x7F), *range(0xA0, 0x250), *range(0x2000, 0x2070), 0x20AC, 0x2122, 0x2212]
_FONT_UNICODE_SET = frozenset(FONT_UNICODES)

# Characters a core font (cp1252) lacks, and French typography uses.
_CORE_REPLACEMENTS = {"Đ": "D", "đ": "d", "Ł": "L", "ł": "l", "Ħ": "H", "ħ": "h", "ı": "i", "Ŧ": "T", "ŧ": "t", "\u202f": " ", "\u2009": " ", "\u2011": "-", "\u2010": "-", "\u2212": "-", "\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'}


@dataclass(frozen=True)
class ReceiptSection:
    heading: str
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReceiptContent:
    """The words of a receipt, before layout."""

    title: str
    legal_basis: str
    cerfa: str
    number: str
    sections: list[ReceiptSection]
    amount_figures: str
    amount_words: str
    certification: str
    place_and_date: str
    signatory: str
    cancelled_notice: str = ""

    def text(self) -> str:
        parts = [self.title, self.legal_basis, self.cerfa, self.number, self.cancelled_notice]
        for section in self.sections:
            parts.append(section.heading)
            parts.extend(section.lines)
        parts += [self.amount_figures, self.amount_words, self.certification, self.place_and_date, self.signatory]
        return "\n".join(part for part in parts if part)


def amount_in_words(cents: int) -> str:
    """12 050 -> "cent vingt euros et cinquante centimes" (French, as the Cerfa wants it)."""
    euros, rest = divmod(int(cents), 100)
    euro_words = num2words(euros, lang="fr")
    # "un million d'euros", but "deux cents euros".
    unit = "euro" if euros in (0, 1) else "euros"
    if euro_words.endswith(("million", "millions", "milliard", "milliards")):
        words = f"{euro_words} d'{unit}"
    else:
        words = f"{euro_words} {unit}"
    if rest:
        words += f" et {num2words(rest, lang='fr')} centime{'s' if rest > 1 else ''}"
    return words


def _date(value) -> str:
    return value.strftime("%d/%m/%Y")


def tax_receipt_content(receipt: TaxReceipt) -> ReceiptContent:
    """The receipt's text, in French whatever the active language (a French tax document)."""
    with translation.override("fr"):
        return _content(receipt)


def _content(receipt: TaxReceipt) -> ReceiptContent:
    ad = receipt.ad
    is_business = receipt.form == TaxReceiptForm.BUSINESS
    # An unsaved receipt (benchmarks, previews) has no donations to list.
    donations = sorted(receipt.donations.all(), key=lambda d: (d.succeeded_at or d.created_at, d.pk)) if receipt.pk else []
    campaigns = []
    for donation in donations:
        label = _("« %(title)s » (%(cooperative)s)") % {"title": donation.campaign.title, "cooperative": donation.campaign.cooperative.name}
        if label not in campaigns:
            campaigns.append(label)

    if is_business:
        title = _("Reçu des dons et versements effectués par les entreprises")
        legal_basis = _("Article 238 bis du code général des impôts")
        cerfa = _("Cerfa n° 16216*01")
        article = _("238 bis")
    else:
        title = _("Reçu au titre des dons à certains organismes d'intérêt général")
        legal_basis = _("Articles 200, 238 bis et 978 du code général des impôts")
        cerfa = _("Cerfa n° 11580*05")
        article = _("200")

    beneficiary = ReceiptSection(
        _("Bénéficiaire des versements"),
        [
            _("Nom : %(name)s (OCCE %(number)s)") % {"name": ad.name, "number": ad.number},
            *[_("Adresse : %(line)s") % {"line": line} if i == 0 else line for i, line in enumerate(ad.address.splitlines()) if line.strip()],
            _("SIRET : %(siret)s") % {"siret": ad.siret},
            _("Statut : association loi 1901, œuvre ou organisme d'intérêt général"),
            _("Objet : développer la coopération à l'école et soutenir les projets des coopératives scolaires de l'Office central de la coopération à l'école (OCCE)."),
            *([_("Projet soutenu : %(projects)s") % {"projects": ", ".join(campaigns)}] if campaigns else []),
        ],
    )
    if is_business:
        donor_lines = [
            _("Dénomination : %(company)s") % {"company": receipt.company_name},
            *([_("SIRET : %(siret)s") % {"siret": receipt.siret}] if receipt.siret else []),
            _("Représentée par : %(name)s") % {"name": receipt.donor_name},
        ]
    else:
        donor_lines = [_("Nom et prénom : %(name)s") % {"name": receipt.donor_name}]
    address_lines = [line for line in receipt.donor_address.splitlines() if line.strip()]
    donor_lines += [_("Adresse : %(line)s") % {"line": line} if i == 0 else line for i, line in enumerate(address_lines)]
    donor = ReceiptSection(_("Donateur"), donor_lines)

    methods = sorted({d.method for d in donations}) or []
    method_labels = {PaymentMethod.CARD: _("carte bancaire"), PaymentMethod.SEPA_DEBIT: _("prélèvement SEPA")}
    method_text = " ; ".join(method_labels.get(m, m) for m in methods) if methods else receipt.payment_form
    gift_lines = []
    if receipt.is_annual and donations:
        first = timezone.localdate(donations[0].succeeded_at or donations[0].created_at)
        gift_lines.append(_("Reçu récapitulatif des dons versés du %(start)s au %(end)s :") % {"start": _date(first), "end": _date(receipt.gift_date)})
        for donation in donations:
            gift_lines.append(
                _("– le %(date)s : %(amount)s (%(method)s)")
                % {
                    "date": _date(timezone.localdate(donation.succeeded_at or donation.created_at)),
                    "amount": format_euros(donation.net_cents, with_cents=True),
                    "method": method_labels.get(donation.method, donation.method),
                }
            )
    else:
        gift_lines.append(_("Date du versement ou du don : %(date)s") % {"date": _date(receipt.gift_date)})
    gift_lines += [
        _("Forme du don : déclaration de don manuel"),
        _("Nature du don : numéraire"),
        _("Mode de versement : %(method)s") % {"method": method_text},
    ]
    if is_business:
        gift_lines.append(_("Réduction d'impôt de 60 % du montant du don, dans la limite de 20 000 € ou de 5 ‰ du chiffre d'affaires (article 238 bis du CGI)."))
    else:
        gift_lines.append(_("Réduction d'impôt sur le revenu de 66 % du montant du don, dans la limite de 20 % du revenu imposable (article 200 du CGI)."))
    gift = ReceiptSection(_("Don"), gift_lines)

    cancelled_notice = ""
    if receipt.status == TaxReceiptStatus.CANCELLED:
        cancelled_notice = _("REÇU ANNULÉ le %(date)s : %(reason)s. Il n'ouvre droit à aucune réduction d'impôt.") % {
            "date": _date(timezone.localdate(receipt.cancelled_at)) if receipt.cancelled_at else "",
            "reason": receipt.cancel_reason or _("sans motif"),
        }

    return ReceiptContent(
        title=title,
        legal_basis=legal_basis,
        cerfa=cerfa,
        number=_("Reçu n° %(number)s") % {"number": receipt.number},
        sections=[beneficiary, donor, gift],
        amount_figures=_("Le bénéficiaire reconnaît avoir reçu, au titre des dons et versements ouvrant droit à réduction d'impôt, la somme de : %(amount)s")
        % {"amount": format_euros(receipt.amount_cents, with_cents=True)},
        amount_words=_("Somme en toutes lettres : %(words)s") % {"words": amount_in_words(receipt.amount_cents)},
        certification=_(
            "Le bénéficiaire certifie sur l'honneur que les dons et versements qu'il reçoit ouvrent droit à la réduction d'impôt prévue à l'article %(article)s du code général des impôts."
        )
        % {"article": article},
        place_and_date=_("Fait le %(date)s") % {"date": _date(timezone.localdate(receipt.issued_at) if receipt.issued_at else timezone.localdate())},
        signatory=_("%(name)s, président·e de l'association") % {"name": receipt.president_name},
        cancelled_notice=cancelled_notice,
    )


# --- fonts ---------------------------------------------------------------------------------------


def _find_font(name: str) -> Path | None:
    for directory in FONT_DIRS:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


@functools.cache
def _latin_subset(source: str) -> str:
    """A copy of `source` cut down to FONT_UNICODES, cached on disk (written once, atomically)."""
    stat = os.stat(source)
    digest = hashlib.sha1(f"{source}:{stat.st_size}:{stat.st_mtime_ns}:{len(FONT_UNICODES)}".encode()).hexdigest()[:16]
    target = Path(tempfile.gettempdir()) / "trousse-fonts" / f"{Path(source).stem}-latin-{digest}.ttf"
    if target.is_file():
        return str(target)
    try:
        from fontTools import subset as ft_subset
        from fontTools.ttLib import TTFont

        options = ft_subset.Options()
        options.layout_features = []
        options.hinting = False
        options.notdef_outline = True
        options.name_IDs = ["*"]
        font = TTFont(source)
        subsetter = ft_subset.Subsetter(options)
        subsetter.populate(unicodes=FONT_UNICODES)
        subsetter.subset(font)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        font.save(str(partial))
        os.replace(partial, target)
        return str(target)
    except Exception:  # a broken font cache must not stop receipts: use the full font
        logger.exception("Could not subset %s; embedding the full font", source)
        return source


@functools.cache
def receipt_fonts() -> str | None:
    """The TTF to embed (DejaVu Sans, cut down to Latin), or None when it is not installed."""
    regular = _find_font(FONT_REGULAR)
    if regular is None:
        logger.warning("DejaVu Sans not found in %s: tax receipts fall back to a core PDF font", [str(d) for d in FONT_DIRS])
        return None
    return _latin_subset(str(regular))


def _transliterate(text: str, allowed) -> str:
    """Keep what the font can draw; strip accents from the rest, else '?'."""
    out = []
    for char in text:
        if char == "\n" or allowed(char):
            out.append(char)
            continue
        char = _CORE_REPLACEMENTS.get(char, char)
        if allowed(char):
            out.append(char)
            continue
        if char == "€":
            out.append("EUR")
            continue
        if char in "œŒ":
            out.append("oe" if char == "œ" else "OE")
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        out.append(base if base and all(allowed(c) for c in base) else "?")
    return "".join(out)


def _cp1252(char: str) -> bool:
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


# --- layout --------------------------------------------------------------------------------------


class _ReceiptPDF(FPDF):
    def __init__(self, *, fonts: str | None):
        super().__init__(format="A4", unit="mm")
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=16)
        self.set_creator("La Trousse")
        self._bold = False
        if fonts is not None:
            # One embedded face: bold is drawn by stroking it (see `font`), which halves
            # the font work of every document (parsing and subsetting dominate its cost).
            self.add_font("Receipt", "", fonts)
            self._tune_embedding()
            self.family_name = "Receipt"
            self._allowed = lambda c: c in _FONT_UNICODE_SET_CHARS
        else:
            # Core fonts speak cp1252 only: fpdf2 encodes them in windows-1252.
            self.core_fonts_encoding = "windows-1252"
            self.family_name = "Helvetica"
            self._allowed = _cp1252

    def _tune_embedding(self) -> None:
        """Subsetting the font at output is most of a document's cost: ask fontTools to
        favour speed over a few hundred bytes, and keep the (already right) glyph boxes."""
        try:
            from fontTools.ttLib import OPTIMIZE_FONT_SPEED

            for font in self.fonts.values():
                ttfont = getattr(font, "ttfont", None)
                if ttfont is not None:
                    ttfont.cfg[OPTIMIZE_FONT_SPEED] = True
                    ttfont.recalcBBoxes = False
        except Exception:  # an fpdf2 or fontTools without these knobs: just slower
            logger.debug("Cannot tune font embedding", exc_info=True)

    def clean(self, text: str) -> str:
        return _transliterate(text, self._allowed)

    def font(self, size: float, bold: bool = False) -> None:
        self._bold = bold
        if self.family_name == "Helvetica":
            self.set_font("Helvetica", "B" if bold else "", size)
        else:
            self.set_font(self.family_name, "", size)

    def _cell(self, height: float, text: str, *, align: str = "L", fill: bool = False) -> None:
        if self._bold and self.family_name != "Helvetica":
            # Stroking the glyphs draws them bold; local_context restores the
            # graphics state (q/Q), so the next line is not stroked too.
            with self.local_context(text_mode=TextMode.FILL_STROKE, line_width=0.22):
                self.cell(0, height, text, align=align, fill=fill, new_x="LMARGIN", new_y="NEXT")
        else:
            self.cell(0, height, text, align=align, fill=fill, new_x="LMARGIN", new_y="NEXT")

    def text_line(self, text: str, height: float = 5.2, *, align: str = "L", fill: bool = False) -> None:
        """One line that is known to fit (headings, dates)."""
        self._cell(height, self.clean(text), align=align, fill=fill)

    def paragraph(self, text: str, height: float = 5.2, align: str = "L") -> None:
        """Wrap on spaces in linear time (fpdf2's multi_cell re-measures the line at every character)."""
        width = self.epw
        space = self.get_string_width(" ")
        for raw_line in self.clean(text).split("\n"):
            if self.get_string_width(raw_line) <= width:
                self._cell(height, raw_line, align=align)
                continue
            line: list[str] = []
            line_width = 0.0
            for word in raw_line.split(" "):
                word_width = self.get_string_width(word)
                extra = word_width + (space if line else 0)
                if line and line_width + extra > width:
                    self._cell(height, " ".join(line), align=align)
                    line, line_width = [word], word_width
                else:
                    line.append(word)
                    line_width += extra
            if line:
                rest = " ".join(line)
                if self.get_string_width(rest) > width:  # one word wider than the page (a long e-mail)
                    self.multi_cell(0, height, rest, align=align, new_x="LMARGIN", new_y="NEXT", wrapmode="CHAR")
                else:
                    self._cell(height, rest, align=align)


_FONT_UNICODE_SET_CHARS = frozenset(chr(code) for code in _FONT_UNICODE_SET)


@functools.lru_cache(maxsize=256)
def _signature_bytes(name: str) -> bytes | None:
    from django.core.files.storage import default_storage

    try:
        with default_storage.open(name, "rb") as handle:
            return handle.read()
    except Exception:  # a missing signature file must not block the receipt
        logger.exception("Cannot read the president's signature %s", name)
        return None


def render_tax_receipt_pdf(receipt: TaxReceipt, *, content: ReceiptContent | None = None, compress: bool = True, embed_font: bool = True) -> bytes:
    """The receipt as PDF bytes. `embed_font=False` forces the core-font fallback."""
    content = content or tax_receipt_content(receipt)
    pdf = _ReceiptPDF(fonts=receipt_fonts() if embed_font else None)
    pdf.set_compression(compress)
    pdf.set_title(pdf.clean(f"{content.cerfa} {content.number}"))
    pdf.set_author(pdf.clean(receipt.ad.name))
    pdf.add_page()

    pdf.font(8)
    pdf.text_line(content.cerfa, 4, align="R")
    pdf.font(13, bold=True)
    pdf.paragraph(content.title, 6.5, align="C")
    pdf.font(9)
    pdf.paragraph(content.legal_basis, 5, align="C")
    pdf.font(11, bold=True)
    pdf.text_line(content.number, 7, align="C")
    if content.cancelled_notice:
        pdf.set_text_color(180, 0, 0)
        pdf.set_draw_color(180, 0, 0)  # the stroke of the bold glyphs
        pdf.font(11, bold=True)
        pdf.paragraph(content.cancelled_notice, 6)
        pdf.set_text_color(0, 0, 0)
        pdf.set_draw_color(0, 0, 0)
    pdf.ln(2)

    for section in content.sections:
        pdf.set_fill_color(235, 235, 235)
        pdf.font(10, bold=True)
        pdf.text_line(section.heading, 6, fill=True)
        pdf.ln(1)
        pdf.font(9.5)
        for text in section.lines:
            pdf.paragraph(text, 4.8)
        pdf.ln(2)

    pdf.font(9.5)
    pdf.paragraph(content.amount_figures)
    pdf.font(9.5, bold=True)
    pdf.paragraph(content.amount_words)
    pdf.ln(1)
    pdf.font(9.5)
    pdf.paragraph(content.certification)
    pdf.ln(4)
    pdf.paragraph(content.place_and_date, 5)
    pdf.paragraph(content.signatory, 5)

    signature = receipt.ad.president_signature
    if signature and signature.name:
        data = _signature_bytes(signature.name)
        if data:
            try:
                if pdf.get_y() + 20 > pdf.h - pdf.b_margin:
                    pdf.add_page()
                pdf.image(BytesIO(data), x=pdf.l_margin, y=pdf.get_y() + 1, h=18)
            except Exception:  # a corrupt picture must not block a legal document
                logger.exception("Cannot draw the signature of AD %s", receipt.ad.number)
    return bytes(pdf.output())


def sample_tax_receipt() -> TaxReceipt:
    """An unsaved, realistic receipt, for benchmarks (`make bench`) and layout checks: no database needed.

        from trousse.payments.receipt_pdf import render_tax_receipt_pdf, sample_tax_receipt
        receipt = sample_tax_receipt(); render_tax_receipt_pdf(receipt)
    """
    import datetime

    from trousse.accounts.models import DepartmentalAssociation

    ad = DepartmentalAssociation(
        number="79", name="OCCE Deux-Sèvres", address="12 rue de l'École\n79000 Niort", siret="73282932000074", president_name="Françoise Lefèvre"
    )
    return TaxReceipt(
        ad=ad,
        year=2026,
        sequence=42,
        number="79-2026-000042",
        form=TaxReceiptForm.INDIVIDUAL,
        amount_cents=12_050,
        donor_name="Élodie Bernard-Nguyễn",
        donor_address="3 rue des Halles\n79000 Niort",
        donor_email="elodie@example.org",
        gift_date=datetime.date(2026, 3, 10),
        payment_form="Carte bancaire",
        president_name="Françoise Lefèvre",
        issued_at=timezone.now(),
    )
