"""Year end for one AD: render the PDFs still missing, write the CSV of the year's
receipts and print the totals to declare (article 222 bis of the tax code).

    manage.py tax_receipts_year_end --ad 79 --year 2026 --csv recus-79-2026.csv
"""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from trousse.accounts.models import DepartmentalAssociation
from trousse.money import format_euros
from trousse.payments.models import TaxReceipt
from trousse.payments.tax_receipts import tax_receipt_render, tax_receipts_write_csv, tax_receipts_year_totals


class Command(BaseCommand):
    help = "Reçus fiscaux d'une AD pour une année : PDF manquants, export CSV et totaux (article 222 bis du CGI)."

    def add_arguments(self, parser):
        parser.add_argument("--ad", required=True, help="Numéro de département de l'AD, par ex. 79")
        parser.add_argument("--year", required=True, type=int, help="Année d'émission des reçus")
        parser.add_argument("--csv", dest="csv_path", help="Fichier CSV à écrire (« - » pour la sortie standard)")
        parser.add_argument("--no-render", action="store_true", help="Ne pas produire les PDF manquants")

    def handle(self, *args, ad: str, year: int, csv_path: str | None, no_render: bool, **options):
        association = DepartmentalAssociation.objects.filter(number=ad).first()
        if association is None:
            raise CommandError(f"Aucune AD n° {ad}.")
        show_progress = options.get("verbosity", 1) > 0
        receipts = TaxReceipt.objects.filter(ad=association, year=year)

        if not no_render:
            missing = list(receipts.filter(pdf="").values_list("pk", flat=True))
            failures = 0
            for receipt_id in tqdm(missing, desc="PDF manquants", unit="reçu", disable=not show_progress or not missing, file=sys.stderr):
                try:
                    tax_receipt_render(receipt_id=receipt_id)
                except Exception as error:  # noqa: BLE001 - one bad receipt must not stop the others
                    failures += 1
                    self.stderr.write(f"Reçu {receipt_id} : {error}")
            if failures:
                self.stderr.write(self.style.WARNING(f"{failures} PDF n'ont pas pu être produits ; relancez la commande."))

        if csv_path:
            total = receipts.count()
            with tqdm(total=total, desc="Export CSV", unit="reçu", disable=not show_progress, file=sys.stderr) as bar:
                if csv_path == "-":
                    totals = tax_receipts_write_csv(ad=association, year=year, out=self.stdout, progress=bar.update)
                else:
                    with open(csv_path, "w", encoding="utf-8-sig", newline="") as handle:
                        totals = tax_receipts_write_csv(ad=association, year=year, out=handle, progress=bar.update)
        else:
            totals = tax_receipts_year_totals(ad=association, year=year)

        out = self.stderr if csv_path == "-" else self.stdout
        out.write(f"OCCE {association.number} – {association.name}, reçus émis en {year} (article 222 bis du CGI) :")
        out.write(f"  reçus émis : {totals.issued_count}, montant : {format_euros(totals.issued_amount_cents, with_cents=True)}")
        out.write(f"    dont particuliers : {totals.individual_count} ({format_euros(totals.individual_amount_cents, with_cents=True)})")
        out.write(f"    dont entreprises : {totals.business_count} ({format_euros(totals.business_amount_cents, with_cents=True)})")
        out.write(f"  reçus annulés : {totals.cancelled_count} ({format_euros(totals.cancelled_amount_cents, with_cents=True)})")
        if csv_path and csv_path != "-":
            out.write(f"CSV écrit dans {csv_path}")
