"""Tax receipt PDFs rendered per second per worker process, and the year-end projection.

Each worker process renders `count` receipts with the app's own renderer
(trousse.payments.receipt_pdf.render_tax_receipt_pdf) from varied unsaved
receipts (individuals and businesses, accents, long addresses): what a Celery
worker does for each receipt, minus the database read and the file write.
`processes` workers run at once, as the year-end batch would on this machine,
so the projection for 25 000 donors is measured, not multiplied.
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

YEAR_RECEIPTS = 25_000
TARGET_SECONDS = 600

DONORS = ["Élodie Bernard-Nguyễn", "Jean-François Lefèvre", "Zoé Müller", "Loïc Ørsted", "Anaïs Da Costa", "Björn Cœurdevey"]
STREETS = ["3 rue des Halles", "12 bis avenue de la Gare", "Lieu-dit « Les Épinettes »", "45 boulevard Saint-Germain, appartement 12, 3e étage"]


@dataclass
class ReceiptResult:
    receipts: int
    seconds: float
    bytes_per_receipt: int

    @property
    def per_second(self) -> float:
        return self.receipts / self.seconds if self.seconds else 0.0


def _receipts(count: int, offset: int):
    from trousse.payments.models import TaxReceiptForm
    from trousse.payments.receipt_pdf import sample_tax_receipt

    for n in range(offset, offset + count):
        receipt = sample_tax_receipt()
        receipt.sequence = n + 1
        receipt.number = f"79-2026-{n + 1:06d}"
        receipt.amount_cents = 500 + (n * 1337) % 200_000
        receipt.donor_name = DONORS[n % len(DONORS)]
        receipt.donor_address = f"{STREETS[n % len(STREETS)]}\n79000 Niort"
        if n % 5 == 0:
            receipt.form = TaxReceiptForm.BUSINESS
            receipt.company_name = "Boulangerie du Marché SARL"
            receipt.siret = "73282932000074"
        yield receipt


def render_in_this_process(count: int, offset: int = 0, *, settings_module: str | None = None) -> ReceiptResult:
    """Render `count` receipts here; the first one (fonts loaded and cut down, once per process) is not timed."""
    import os

    if settings_module:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    import django

    django.setup()
    from trousse.payments.receipt_pdf import render_tax_receipt_pdf

    warm = next(_receipts(1, offset + count))
    render_tax_receipt_pdf(warm)
    total_bytes = 0
    started = time.perf_counter()
    for receipt in _receipts(count, offset):
        total_bytes += len(render_tax_receipt_pdf(receipt))
    seconds = time.perf_counter() - started
    return ReceiptResult(receipts=count, seconds=seconds, bytes_per_receipt=total_bytes // max(1, count))


def run_receipt_bench(*, count: int, processes: int, settings_module: str) -> dict:
    """`count` receipts in each of `processes` worker processes at once; receipts/s per process and in all."""
    processes = max(1, processes)
    with ProcessPoolExecutor(max_workers=processes, mp_context=get_context("spawn")) as pool:
        started = time.perf_counter()
        futures = [pool.submit(render_in_this_process, count, n * count, settings_module=settings_module) for n in range(processes)]
        results = [future.result() for future in futures]
    # The wall clock includes each worker's start-up; the rendering windows are what receipts cost.
    window = max(result.seconds for result in results)
    total = sum(result.receipts for result in results)
    per_process = [round(result.per_second, 1) for result in results]
    overall = total / window if window else 0.0
    projected = YEAR_RECEIPTS / overall if overall else None
    return {
        "receipts": total,
        "processes": processes,
        "seconds": round(window, 3),
        "wall_seconds": round(time.perf_counter() - started, 3),
        "rate": round(min(per_process), 1),
        "unit": "receipts/s/process",
        "per_process": per_process,
        "total_per_second": round(overall, 1),
        "bytes_per_receipt": results[0].bytes_per_receipt,
        "projected_seconds_for_year": None if projected is None else round(projected, 1),
        "errors": 0,
    }
