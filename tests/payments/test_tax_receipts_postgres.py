"""Gapless numbering under real concurrency: row locks need PostgreSQL."""

import datetime
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.utils import timezone

from tests import factories
from trousse.campaigns.models import Status
from trousse.payments.models import DonationStatus, TaxReceipt, TaxReceiptSequence
from trousse.payments.tax_receipts import tax_receipt_issue, tax_receipt_sync

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ISSUES = 50
# Fewer connections than issues: the machine's PostgreSQL is shared; every thread still races the others.
THREADS = 16


@pytest.fixture(autouse=True)
def _no_pdf(monkeypatch):
    # Rendering and e-mailing are tested elsewhere; here they would only slow the race down.
    from trousse.payments import tax_receipts

    monkeypatch.setattr(tax_receipts, "_schedule_delivery", lambda receipt_id: None)


def _run_concurrently(function, arguments):
    start = threading.Event()

    def worker(argument):
        try:
            start.wait(timeout=30)  # released together, once every task is queued
            return function(argument)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(worker, argument) for argument in arguments]
        start.set()
        return [future.result() for future in futures]


def test_fifty_concurrent_issues_give_one_to_fifty_without_gap_or_duplicate(ad):
    campaign = factories.CampaignFactory(cooperative=factories.CooperativeFactory(ad=ad), status=Status.SUCCEEDED)
    paid_at = timezone.now()
    donations = [factories.DonationFactory(campaign=campaign, status=DonationStatus.SUCCEEDED, succeeded_at=paid_at) for _ in range(ISSUES)]
    today = datetime.date(2026, 6, 1)

    numbers = _run_concurrently(lambda donation: tax_receipt_issue(donation=donation, today=today).number, donations)

    assert sorted(numbers) == [f"79-2026-{n:06d}" for n in range(1, ISSUES + 1)]
    assert sorted(TaxReceipt.objects.values_list("sequence", flat=True)) == list(range(1, ISSUES + 1))
    assert TaxReceiptSequence.objects.get(ad=ad, year=2026).last_number == ISSUES


def test_concurrent_syncs_of_the_same_donation_issue_one_receipt(ad):
    campaign = factories.CampaignFactory(cooperative=factories.CooperativeFactory(ad=ad), status=Status.SUCCEEDED)
    donation = factories.DonationFactory(campaign=campaign, status=DonationStatus.SUCCEEDED, succeeded_at=timezone.now())

    results = _run_concurrently(lambda _: tax_receipt_sync(donation_id=donation.pk), list(range(8)))

    assert sum(len(result.issued) for result in results) == 1
    assert TaxReceipt.objects.filter(donations=donation).count() == 1


def test_the_campaigns_batch_run_concurrently_with_itself_and_the_syncs_gives_each_receipt_once(ad):
    # A message redelivered after the visibility timeout while the first worker still runs,
    # and the per-donation syncs of late payments, all at once.
    from trousse.payments.tax_receipts import tax_receipts_issue_for_campaign

    campaign = factories.CampaignFactory(cooperative=factories.CooperativeFactory(ad=ad), status=Status.SUCCEEDED)
    paid_at = timezone.now()
    donations = [factories.DonationFactory(campaign=campaign, status=DonationStatus.SUCCEEDED, succeeded_at=paid_at) for _ in range(20)]
    today = datetime.date(2026, 6, 1)

    def run(index):
        if index % 2:
            return list(tax_receipt_sync(donation_id=donations[-index].pk, today=today).issued)
        return tax_receipts_issue_for_campaign(campaign_id=campaign.pk, today=today)

    issued = [number for numbers in _run_concurrently(run, list(range(8))) for number in numbers]

    assert sorted(issued) == [f"79-2026-{n:06d}" for n in range(1, 21)]
    for donation in donations:
        assert TaxReceipt.objects.filter(donations=donation).count() == 1
