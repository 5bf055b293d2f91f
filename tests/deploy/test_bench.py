"""`make bench`'s parts: the load generator, the minimal view, the webhook check, and one tiny end-to-end run."""

import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bench import webhooks
from bench.load import percentile, run_load

ROOT = Path(__file__).resolve().parents[2]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as gunicorn's gthread workers

    def do_GET(self):
        status = 200 if self.path == "/ok/" else 404
        body = b"ok" if status == 200 else b"missing"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def tiny_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None


def test_load_counts_answers_and_errors(tiny_server):
    result = run_load(host="127.0.0.1", port=tiny_server, paths=["/ok/", "/missing/"], clients=2, seconds=0.3, processes=1)
    assert result.requests > 2
    # Every other request is a 404: counted as an error, never as throughput.
    assert 0 < result.errors < result.requests
    assert any(sample.startswith("HTTP 404") for sample in result.error_samples)
    summary = result.summary()
    assert summary["p50_ms"] is not None and summary["p95_ms"] >= summary["p50_ms"]


def test_load_only_targets_the_loopback():
    with pytest.raises(ValueError):
        run_load(host="example.org", port=80, paths=["/"], seconds=0.1)


def test_minimal_view_is_mounted_only_by_the_bench_urlconf(client, settings, db):
    assert client.get("/bench/minimal/").status_code == 404
    settings.ROOT_URLCONF = "bench.urls"
    response = client.get("/bench/minimal/")
    assert response.status_code == 200 and response.content == b"ok"


@pytest.fixture
def live_campaigns(db):
    from tests import factories
    from trousse.campaigns.models import Status

    return [factories.CampaignFactory(status=Status.LIVE) for _ in range(3)]


def test_webhook_donations_go_to_campaigns_still_below_their_optimum(db):
    # A live campaign past its optimum would be ended by a job the bench never runs:
    # every gift to it would publish that job again, a cost production does not have.
    from tests import factories
    from trousse.campaigns.models import Status

    open_campaign = factories.CampaignFactory(status=Status.LIVE, optimum_goal_cents=100_000, raised_cents=20_000)
    full_campaign = factories.CampaignFactory(status=Status.LIVE, optimum_goal_cents=100_000, raised_cents=100_000)
    batch = webhooks.prepare_pending_donations(count=20, tag="room")
    assert {campaign_id for _pi, campaign_id, _amount in batch.donations.values()} == {open_campaign.pk}
    assert full_campaign.pk not in batch.raised_before


@pytest.mark.postgres
def test_webhook_check_catches_lost_and_doubled_effects(live_server, live_campaigns, settings):
    """The bench's proof of exactly-once is itself proven: it fails on a lost event and on a doubled ledger row."""
    from trousse.ledger.services import ledger_record_donation

    port = int(live_server.url.rsplit(":", 1)[1])
    batch = webhooks.prepare_pending_donations(count=30, tag="t", campaign_ids=[c.pk for c in live_campaigns])
    events = webhooks.build_events(batch, duplicate_share=0.2)
    assert len(events) == 36 and len({e.id for e in events}) < 36  # duplicates are really sent

    held_back = next(e for e in events if e.id.endswith(f"_{events[0].donation_id}"))
    first = [e for e in events if e.donation_id != held_back.donation_id]
    sent = webhooks.send_events(host="127.0.0.1", port=port, events=first, secret=settings.STRIPE_WEBHOOK_SECRET, senders=4)
    assert sent.errors == 0 and sent.duplicates_reported > 0
    lost = webhooks.verify_webhook_effects(batch, events=events)
    assert any("did not succeed" in problem for problem in lost)
    assert any("no ledger transaction" in problem for problem in lost)
    # A run cut short by its time limit is verified on what it posted: that part holds.
    assert held_back.donation_id not in sent.posted_donations
    assert webhooks.verify_webhook_effects(batch.only(sent.posted_donations), events=first) == []

    webhooks.send_events(host="127.0.0.1", port=port, events=[held_back, held_back], secret=settings.STRIPE_WEBHOOK_SECRET, senders=2)
    assert webhooks.verify_webhook_effects(batch, events=events) == []

    # A second credit for one donation, as a handler that forgot its guard would post it.
    donation_id, (_pi, campaign_id, amount) = next(iter(batch.donations.items()))
    campaign = next(c for c in live_campaigns if c.pk == campaign_id)
    ledger_record_donation(campaign=campaign, amount_cents=amount, key=f"donation:{donation_id}:succeeded:again", reference=f"donation:{donation_id}")
    doubled = webhooks.verify_webhook_effects(batch, events=events)
    assert any("more than one ledger transaction" in problem for problem in doubled)
    # ledger_check sees it too: the campaign's raised_cents no longer equals its ledger.
    assert any(problem.startswith("ledger_check") for problem in doubled)


def test_a_bad_signature_is_an_error_not_a_success(live_server, live_campaigns):
    port = int(live_server.url.rsplit(":", 1)[1])
    batch = webhooks.prepare_pending_donations(count=2, tag="bad", campaign_ids=[live_campaigns[0].pk])
    events = webhooks.build_events(batch, duplicate_share=0)
    sent = webhooks.send_events(host="127.0.0.1", port=port, events=events, secret="whsec_not_the_servers", senders=1)
    # A 400 is final (no retry) and counted: the figure is never made of refused events.
    assert sent.errors == 2 and sent.retries == 0 and sent.events_per_second == 0
    assert any("HTTP 400" in sample for sample in sent.error_samples)


def test_receipts_are_rendered_and_projected():
    from bench.receipts import render_in_this_process

    result = render_in_this_process(2)
    assert result.receipts == 2 and result.per_second > 0
    assert result.bytes_per_receipt > 1000  # a real PDF, not an empty answer


@pytest.mark.postgres
def test_a_tiny_bench_run_writes_its_figures(tmp_path):
    """Seeds a few campaigns and donations into a database of its own, serves them with gunicorn, posts webhooks,
    creates donations against localstripe, renders receipts, and writes the JSON."""
    env = {
        **os.environ,
        "BENCH_DATABASE_URL": "postgres://postgres@127.0.0.1:5432/trousse_bench_test",
        # The bench empties its Redis database (FLUSHDB) before each profile: not db 15, where
        # tests/faults/test_worker_crash.py keeps its broker queue, nor the default bench's db 12.
        "BENCH_REDIS_URL": "redis://127.0.0.1:6379/13",
        "BENCH_CAMPAIGNS": "40",
        "BENCH_DONATIONS": "300",
        "BENCH_SECONDS": "0.5",
        "BENCH_WARMUP": "0",
        "BENCH_CLIENTS": "2",
        "BENCH_PROCESSES": "1",
        "BENCH_WORKERS": "1",
        "BENCH_THREADS": "2",
        "BENCH_WEBHOOK_EVENTS": "50",
        "BENCH_WEBHOOK_SENDERS": "2",
        "BENCH_DONATION_CLIENTS": "2",
        "BENCH_RECEIPTS": "3",
        "BENCH_RECEIPT_PROCESSES": "1",
        "BENCH_RESULTS_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--reseed", "--only", "campaign", "campaign_uncached", "webhooks", "donations", "receipts"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    [report_path] = tmp_path.glob("*.json")
    report = json.loads(report_path.read_text())
    assert report["data"]["campaigns"] == 40
    assert report["data"]["seeded_donations"] == 300
    rows = {row["name"]: row for row in report["scenarios"]}
    assert set(rows) == {"minimal", "campaign", "campaign_uncached", "webhooks", "donations", "receipts"}
    assert rows["minimal"]["rps"] > 0 and rows["minimal"]["ratio"] == 1.0
    assert rows["campaign"]["errors"] == 0 and rows["campaign"]["rps"] > 0
    assert rows["webhooks"]["verification"] == "ok" and rows["webhooks"]["errors"] == 0
    assert rows["webhooks"]["donations"] == 50 and rows["webhooks"]["duplicates"] == 10 and rows["webhooks"]["rate"] > 0
    assert rows["donations"]["verification"] == "ok" and rows["donations"]["created"] > 0 and rows["donations"]["p95_ms"] is not None
    assert rows["receipts"]["receipts"] == 3 and rows["receipts"]["projected_seconds_for_year"] > 0
    assert "minimal" in result.stdout and "events/s" in result.stdout and "receipts/s" in result.stdout
