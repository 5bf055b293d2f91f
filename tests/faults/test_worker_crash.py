"""A real Celery worker on Redis, killed (SIGKILL) in the middle of a batch of tax receipts.

acks_late keeps each message on the broker until its task returns; the message
of the killed task comes back once the visibility timeout has passed, the
restarted worker runs it again, and the receipt service (row locks, one active
receipt per donation, the number allocated in the receipt's own transaction)
makes that rerun harmless: every donation ends with exactly one receipt and the
numbers have no gap.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests import factories
from trousse.campaigns.models import Status
from trousse.payments.models import DonationStatus, TaxReceipt, TaxReceiptSequence, TaxReceiptStatus

from .conftest import redis_url_or_skip

pytestmark = [pytest.mark.postgres, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BATCH = 30
KILL_AFTER = 6  # receipts committed before the kill
SYNC_TASK = "trousse.payments.receipt_tasks.tax_receipt_sync_for_donation"
REDIS_DB = os.environ.get("FAULTS_REDIS_DB", "15")  # not the application's db 0


def _database_url() -> str:
    db = connection.settings_dict
    credentials = urllib.parse.quote(db["USER"] or "")
    if db.get("PASSWORD"):
        credentials += ":" + urllib.parse.quote(db["PASSWORD"])
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """`celery -A config worker -P solo` in a subprocess, logging to a file the failure message shows."""

    def __init__(self, env: dict[str, str], log_path: Path):
        self.env, self.log_path, self.process = env, log_path, None

    def start(self) -> None:
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "solo", "-Q", self.env["FAULTS_QUEUE"]]
        command += ["--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "warning", "-n", f"{self.env['FAULTS_QUEUE']}@%h"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, env=self.env, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


@pytest.fixture
def worker_env(tmp_path, monkeypatch):
    import redis

    url = redis_url_or_skip()
    parts = urllib.parse.urlsplit(url)
    broker_url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, f"/{REDIS_DB}", "", ""))
    run = uuid.uuid4().hex[:12]
    # Celery reads CELERY_BROKER_URL from the environment before any setting: the
    # producer here and the worker must both see the run's own Redis db.
    monkeypatch.setenv("CELERY_BROKER_URL", broker_url)
    env = {
        **os.environ,
        "CELERY_BROKER_URL": broker_url,
        "DJANGO_SETTINGS_MODULE": "tests.faults.worker_settings",
        "PYTHONPATH": str(settings.BASE_DIR),
        "DATABASE_URL": _database_url(),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "FAULTS_BROKER_URL": broker_url,
        "FAULTS_QUEUE": f"faults-{run}",
        "FAULTS_KEYPREFIX": f"faults-{run}:",
        "FAULTS_RECEIPT_DELAY": "0.15",
        "FAULTS_VISIBILITY_TIMEOUT": "3",
    }
    client = redis.Redis.from_url(broker_url)
    try:
        yield env
    finally:
        # Everything the run put in Redis carries its prefix.
        keys = list(client.scan_iter(match=f"{env['FAULTS_KEYPREFIX']}*"))
        if keys:
            client.delete(*keys)
        client.close()


def _producer(env: dict[str, str]):
    from celery import Celery

    app = Celery("faults-producer", broker=env["FAULTS_BROKER_URL"], set_as_current=False)
    app.conf.broker_transport_options = {"global_keyprefix": env["FAULTS_KEYPREFIX"], "visibility_timeout": 3, "unacked_mutex_expire": 5}
    return app


def _wait_for(predicate, *, timeout: float, what: str, worker: Worker, state=None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            # What the broker and the database held when we gave up: the log alone says nothing of it.
            seen = f" ({state()})" if state is not None else ""
            pytest.fail(f"timed out waiting for {what}{seen}; worker log:\n{worker.log()}")
        if worker.process.poll() is not None:
            pytest.fail(f"the worker exited ({worker.process.returncode}) while waiting for {what}; log:\n{worker.log()}")
        time.sleep(0.05)


def _receipts() -> int:
    return TaxReceipt.objects.count()


def test_a_worker_killed_mid_batch_leaves_every_receipt_issued_once_without_gaps(worker_env, ad, cooperative, teacher, tmp_path):
    import redis

    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUCCEEDED)
    donations = [factories.DonationFactory(campaign=campaign, status=DonationStatus.SUCCEEDED, amount_cents=3_000) for _ in range(BATCH)]

    client = redis.Redis.from_url(worker_env["FAULTS_BROKER_URL"])
    prefix, queue = worker_env["FAULTS_KEYPREFIX"], worker_env["FAULTS_QUEUE"]
    worker = Worker(worker_env, tmp_path / "worker.log")
    try:
        worker.start()
        # Publish only once the worker has bound its queue: Redis' virtual exchange sends
        # a message with no binding yet to the dead-letter queue, and the batch is lost.
        _wait_for(lambda: client.exists(f"{prefix}_kombu.binding.{queue}"), timeout=60, what="the worker's queue", worker=worker)
        producer = _producer(worker_env)
        for donation in donations:
            producer.send_task(SYNC_TASK, args=[donation.pk], queue=queue)
        _wait_for(lambda: _receipts() >= KILL_AFTER, timeout=120, what=f"{KILL_AFTER} receipts", worker=worker)
        worker.kill()
        at_kill = _receipts()
        assert at_kill < BATCH, "the batch finished before the kill: nothing was tested"

        worker.start()
        # Generous: CI runs this beside the rest of the suite on 2 cores.
        def state() -> str:
            return (
                f"{_receipts()} receipts of {BATCH}, {at_kill} at the kill; queued {client.llen(prefix + queue)}, "
                f"unacked {client.hlen(prefix + 'unacked')}, restore mutex held: {bool(client.exists(prefix + 'unacked_mutex'))}"
            )

        _wait_for(lambda: _receipts() >= BATCH, timeout=150, what="the whole batch after the restart", worker=worker, state=state)
        # Drained: nothing queued, nothing delivered and unacknowledged (the killed message came back and ran).
        _wait_for(lambda: client.llen(prefix + queue) == 0 and client.hlen(prefix + "unacked") == 0, timeout=30, what="an empty queue", worker=worker)
    finally:
        client.close()
        worker.stop()

    receipts = list(TaxReceipt.objects.filter(ad=ad).order_by("sequence"))
    assert len(receipts) == BATCH
    assert all(receipt.status == TaxReceiptStatus.ISSUED for receipt in receipts)
    # Exactly one receipt per donation.
    covered = sorted(TaxReceipt.donations.through.objects.filter(taxreceipt__ad=ad).values_list("donation_id", flat=True))
    assert covered == sorted(donation.pk for donation in donations)
    # Gapless: 1..30, and the counter agrees (a number taken by the killed transaction was given back).
    assert [receipt.sequence for receipt in receipts] == list(range(1, BATCH + 1))
    assert TaxReceiptSequence.objects.get(ad=ad).last_number == BATCH
    assert len({receipt.number for receipt in receipts}) == BATCH
