"""Files the books produce: CSV for French accounting software, receipts ZIP, batch summaries."""

import csv
import io
import re
import tempfile
import zipfile
from collections.abc import Iterable

from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .models import DisbursementBatch, Expense, LedgerEntry

# Spreadsheets run a cell starting with these as a formula: a supplier named "=HYPERLINK(...)" must stay text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
EXPENSE_REFERENCE = re.compile(r"^expense:(\d+)$")


def _cell(text) -> str:
    text = "" if text is None else str(text)
    return "'" + text if text.startswith(FORMULA_START) else text


def french_decimal(cents: int) -> str:
    """1234 -> "12,34": French accounting software reads a decimal comma, no thousands separator."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{euros},{rest:02d}"


def _writer(buffer: io.StringIO):
    return csv.writer(buffer, delimiter=";", quotechar='"', quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")


def books_csv(entries: Iterable[LedgerEntry]) -> bytes:
    """One line per ledger entry: an amount the account receives is a debit, what it gives a credit.

    Semicolon-separated, UTF-8 with BOM (Excel and most French accounting software
    read it as UTF-8 then), dates as dd/mm/yyyy. "Compte" is the account's name for
    a person; "Code compte", last, its stable code, which an import maps to the
    cooperative's chart of accounts (a renamed project keeps its code).
    Entries come with their account's owner (selectors.cooperative_books_entries):
    the labels cost no query per line.
    """
    entries = list(entries)
    expense_ids = {int(match.group(1)) for entry in entries if (match := EXPENSE_REFERENCE.match(entry.transaction.reference))}
    receipt_refs = {expense.pk: expense.receipt_reference for expense in Expense.objects.filter(pk__in=expense_ids).exclude(receipt="")}
    buffer = io.StringIO()
    writer = _writer(buffer)
    writer.writerow([_("Date"), _("Libellé"), _("Compte"), _("Débit"), _("Crédit"), _("Projet"), _("Référence justificatif"), _("Code compte")])
    for entry in entries:
        ledger_tx = entry.transaction
        match = EXPENSE_REFERENCE.match(ledger_tx.reference)
        amount = entry.amount_cents
        writer.writerow(
            [
                timezone.localtime(ledger_tx.created_at).strftime("%d/%m/%Y"),
                _cell(ledger_tx.memo or ledger_tx.get_kind_display()),
                _cell(entry.account.label),
                french_decimal(amount) if amount > 0 else "",
                french_decimal(-amount) if amount < 0 else "",
                _cell(ledger_tx.campaign.title if ledger_tx.campaign else ""),
                receipt_refs.get(int(match.group(1)), "") if match else "",
                _cell(entry.account.code),
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def receipt_archive_name(expense: Expense) -> str:
    extension = "pdf" if expense.receipt.name.lower().endswith(".pdf") else "jpg"
    return f"{expense.receipt_reference}_{expense.date:%Y-%m-%d}_{slugify(expense.supplier)[:40] or 'fournisseur'}.{extension}"


def receipts_zip(expenses: Iterable[Expense]):
    """The receipts of a period, named after their reference in the books export. Returns a file object."""
    spooled = tempfile.SpooledTemporaryFile(max_size=20 * 1024 * 1024)
    with zipfile.ZipFile(spooled, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for expense in expenses:
            with expense.receipt.open("rb") as receipt:
                archive.writestr(receipt_archive_name(expense), receipt.read())
    spooled.seek(0)
    return spooled


def batch_summary_csv(batch: DisbursementBatch) -> bytes:
    buffer = io.StringIO()
    writer = _writer(buffer)
    writer.writerow([_("Coopérative"), _("Projet"), _("IBAN"), _("Montant"), _("Référence de bout en bout")])
    for item in batch.items.all():
        writer.writerow([_cell(item.cooperative.name), _cell(item.campaign.title), item.creditor_iban, french_decimal(item.amount_cents), item.end_to_end_id])
    writer.writerow([_("Total"), "", "", french_decimal(batch.total_cents), batch.message_id])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _latin1(text: str) -> str:
    # fpdf2's core fonts are Latin-1: replace what they cannot draw rather than fail.
    text = text.replace("\u202f", " ").replace("\xa0", " ").replace("€", "EUR").replace("·", ".").replace("’", "'")
    return text.encode("latin-1", "replace").decode("latin-1")


def batch_summary_pdf(batch: DisbursementBatch) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 10, _latin1(_("Lot de versements %(id)s – %(ad)s") % {"id": batch.message_id, "ad": batch.ad.name}), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(
        0,
        7,
        _latin1(_("Exécution demandée le %(date)s – état : %(status)s") % {"date": batch.execution_date.strftime("%d/%m/%Y"), "status": batch.get_status_display()}),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 9)
    widths = (55, 60, 50, 25)
    for width, title in zip(widths, (_("Coopérative"), _("Projet"), _("IBAN"), _("Montant")), strict=True):
        pdf.cell(width, 7, _latin1(title), border=1)
    pdf.ln()
    pdf.set_font("Helvetica", "", 8)
    for item in batch.items.all():
        for width, text in zip(
            widths, (item.cooperative.name[:34], item.campaign.title[:38], item.creditor_iban, french_decimal(item.amount_cents) + " EUR"), strict=True
        ):
            pdf.cell(width, 6, _latin1(text), border=1)
        pdf.ln()
    pdf.set_font("Helvetica", "B", 9)
    pdf.cell(sum(widths[:3]), 7, _latin1(_("Total")), border=1)
    pdf.cell(widths[3], 7, _latin1(french_decimal(batch.total_cents) + " EUR"), border=1)
    return bytes(pdf.output())
