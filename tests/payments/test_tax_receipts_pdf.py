"""The receipt's PDF carries the mentions of Cerfa n° 11580*05 / 16216*01."""

import datetime
import io
import re
import zlib

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.utils import timezone, translation
from PIL import Image

from tests import factories
from trousse.campaigns.models import Status
from trousse.payments import receipt_pdf
from trousse.payments.models import DonationStatus, DonorType, PaymentMethod
from trousse.payments.receipt_pdf import amount_in_words, render_tax_receipt_pdf, tax_receipt_content
from trousse.payments.receipt_tasks import tax_receipt_sync_for_donation
from trousse.payments.tax_receipts import tax_receipt_cancel, tax_receipt_issue, tax_receipt_issue_annual

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 3, 14)


@pytest.fixture
def campaign(cooperative, teacher):
    # Receipts are issued once the campaign succeeded.
    return factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUCCEEDED)


def paid(campaign, **fields):
    fields.setdefault("status", DonationStatus.SUCCEEDED)
    fields.setdefault("succeeded_at", timezone.make_aware(datetime.datetime(2026, 3, 10, 15, 30)))
    return factories.DonationFactory(campaign=campaign, **fields)


@pytest.mark.parametrize(
    ("cents", "words"),
    [
        (100, "un euro"),
        (5_000, "cinquante euros"),
        (12_050, "cent vingt euros et cinquante centimes"),
        (8_101, "quatre-vingt-un euros et un centime"),
        (123_400, "mille deux cent trente-quatre euros"),
        (100_000_000, "un million d'euros"),
    ],
)
def test_amount_in_words(cents, words):
    assert amount_in_words(cents) == words


def test_individual_receipt_mentions_everything_cerfa_11580_asks_for(campaign):
    ad = campaign.cooperative.ad
    donation = paid(campaign, first_name="Élodie", last_name="Bernard", address_line="3 rue des Halles", amount_cents=12_050)
    receipt = tax_receipt_issue(donation=donation, today=TODAY)
    text = tax_receipt_content(receipt).text()
    for mention in [
        "Cerfa n° 11580*05",
        "Reçu n° 79-2026-000001",
        "Reçu au titre des dons à certains organismes d'intérêt général",
        ad.name,
        "SIRET : 73282932000074",
        "12 rue de l'École",
        "association loi 1901",
        "organisme d'intérêt général",
        "Élodie Bernard",
        "3 rue des Halles",
        "79000 Niort",
        "120,50",
        "cent vingt euros et cinquante centimes",
        "Date du versement ou du don : 10/03/2026",
        "déclaration de don manuel",
        "Nature du don : numéraire",
        "Mode de versement : carte bancaire",
        "article 200 du code général des impôts",
        ad.president_name,
        campaign.title,
    ]:
        assert mention in text, mention
    assert "238 bis du code général" not in text


def test_business_receipt_is_on_cerfa_16216_under_article_238_bis(campaign):
    donation = paid(campaign, donor_type=DonorType.BUSINESS, company_name="Boulangerie du Marais", siret="73282932000074", method=PaymentMethod.SEPA_DEBIT)
    text = tax_receipt_content(tax_receipt_issue(donation=donation, today=TODAY)).text()
    for mention in ["Cerfa n° 16216*01", "Dénomination : Boulangerie du Marais", "article 238 bis du code général des impôts", "prélèvement SEPA", "60 %"]:
        assert mention in text, mention
    assert "11580" not in text


def test_annual_receipt_lists_each_gift(campaign, treasurer):
    email = "annie@example.org"
    paid(campaign, email=email, amount_cents=1_500, wants_tax_receipt=False, succeeded_at=timezone.make_aware(datetime.datetime(2026, 1, 5, 10)))
    paid(campaign, email=email, amount_cents=2_500, wants_tax_receipt=False, succeeded_at=timezone.make_aware(datetime.datetime(2026, 2, 7, 10)))
    receipt = tax_receipt_issue_annual(actor=treasurer, ad=campaign.cooperative.ad, donor_email=email, year=2026, today=TODAY)
    text = tax_receipt_content(receipt).text()
    assert "du 05/01/2026 au 07/02/2026" in text
    assert "le 05/01/2026 : 15,00" in text and "le 07/02/2026 : 25,00" in text
    assert "quarante euros" in text


def test_a_cancelled_receipt_says_so(campaign):
    receipt = tax_receipt_issue(donation=paid(campaign), today=TODAY)
    tax_receipt_cancel(receipt=receipt, reason="Don remboursé")
    receipt.refresh_from_db()
    assert "REÇU ANNULÉ" in tax_receipt_content(receipt).text()


def _pdf_text_streams(data: bytes) -> bytes:
    """Concatenated content streams of an fpdf2 document (deflated or not)."""
    out = b""
    for chunk in data.split(b"stream\n")[1:]:
        body = chunk.split(b"\nendstream")[0]
        try:
            out += zlib.decompress(body)
        except zlib.error:
            out += body
    return out


def test_the_pdf_embeds_dejavu_and_draws_the_text(campaign):
    if receipt_pdf.receipt_fonts() is None:
        pytest.skip("DejaVu is not installed here (fonts-dejavu-core)")
    receipt = tax_receipt_issue(donation=paid(campaign), today=TODAY)
    data = render_tax_receipt_pdf(receipt)
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert b"/FontFile2" in data and b"DejaVu" in data
    # The ToUnicode map makes the text searchable and copyable in any viewer.
    assert b"/ToUnicode" in data


def test_without_dejavu_a_core_font_shows_the_transliterated_text(campaign, monkeypatch):
    monkeypatch.setattr(receipt_pdf, "FONT_DIRS", (receipt_pdf.Path("/nonexistent"),))
    receipt_pdf.receipt_fonts.cache_clear()
    try:
        donation = paid(campaign, first_name="Đorđe", last_name="Łukasiewicz")
        receipt = tax_receipt_issue(donation=donation, today=TODAY)
        data = render_tax_receipt_pdf(receipt, compress=False)
    finally:
        receipt_pdf.receipt_fonts.cache_clear()
    assert b"/FontFile2" not in data and b"/Helvetica" in data
    text = _pdf_text_streams(data).decode("cp1252")
    assert "Cerfa n° 11580*05" in text
    assert "Reçu n° 79-2026-000001" in text
    assert "article 200 du code général des impôts" in text
    assert "Dorde Lukasiewicz" in text  # no question marks where a letter can be kept


def test_a_receipt_e_mailed_in_english_carries_the_french_cerfa(campaign, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(receipt_pdf, "FONT_DIRS", (receipt_pdf.Path("/nonexistent"),))  # a core font: the text is readable
    receipt_pdf.receipt_fonts.cache_clear()
    try:
        donation = paid(campaign, language="en")
        # An English worker, an English donor: the e-mail is English, the tax form stays French.
        with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
            tax_receipt_sync_for_donation(donation.pk)
    finally:
        receipt_pdf.receipt_fonts.cache_clear()
    (message,) = mail.outbox
    assert message.subject.startswith("Your tax receipt no.") and "Hello" in message.body
    ((_name, data, _mime),) = message.attachments
    text = _pdf_text_streams(data).decode("cp1252")
    assert "Bénéficiaire des versements" in text and "Donateur" in text
    assert "Reçu au titre des dons à certains organismes d'intérêt général" in text
    assert "Recipient of the donations" not in text and "Receipt for donations" not in text


def test_the_presidents_signature_is_drawn_when_the_ad_has_one(campaign):
    ad = campaign.cooperative.ad
    buffer = io.BytesIO()
    Image.new("RGB", (300, 100), (255, 255, 255)).save(buffer, format="PNG")
    ad.president_signature.save("signature.png", ContentFile(buffer.getvalue()))
    receipt = tax_receipt_issue(donation=paid(campaign), today=TODAY)
    receipt.refresh_from_db()
    with_signature = render_tax_receipt_pdf(receipt)
    assert b"/Subtype /Image" in with_signature
    ad.president_signature = ""
    ad.save()
    receipt.refresh_from_db()
    assert b"/Subtype /Image" not in render_tax_receipt_pdf(receipt)


def test_a_long_annual_receipt_still_renders(campaign, treasurer):
    email = "fidele@example.org"
    for day in range(1, 61):
        paid(campaign, email=email, amount_cents=500 + day, wants_tax_receipt=False, succeeded_at=timezone.make_aware(datetime.datetime(2026, 1 + day // 29, 1 + day % 28, 9)))
    receipt = tax_receipt_issue_annual(actor=treasurer, ad=campaign.cooperative.ad, donor_email=email, year=2026, today=TODAY)
    data = render_tax_receipt_pdf(receipt)
    # Sixty lines do not fit on one A4 page: the list flows onto a second one.
    assert len(re.findall(rb"/Type /Page\b(?!s)", data)) == 2
