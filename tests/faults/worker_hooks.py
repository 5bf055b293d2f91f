"""Loaded by the crash test's worker only: each receipt's transaction is slowed down.

A pause after the receipt row is written, before its transaction commits, makes
the SIGKILL land inside an open transaction that holds the numbering lock: the
case where a lost number would show as a gap.
"""

import os
import time

from django.db.models.signals import post_save

DELAY_SECONDS = float(os.environ.get("FAULTS_RECEIPT_DELAY", "0"))


def _pause_inside_the_transaction(sender, **kwargs):
    time.sleep(DELAY_SECONDS)


post_save.connect(_pause_inside_the_transaction, sender="payments.TaxReceipt", dispatch_uid="faults-slow-receipts")
