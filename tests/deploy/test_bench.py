"""`make bench`'s parts: the load generator, the minimal view, and one tiny end-to-end run."""

import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

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


@pytest.mark.postgres
def test_a_tiny_bench_run_writes_its_figures(tmp_path):
    """Seeds a few campaigns into a database of its own, serves them with gunicorn, writes the JSON."""
    env = {
        **os.environ,
        "BENCH_DATABASE_URL": "postgres://postgres@127.0.0.1:5432/trousse_bench_test",
        "BENCH_CAMPAIGNS": "40",
        "BENCH_SECONDS": "0.5",
        "BENCH_WARMUP": "0",
        "BENCH_CLIENTS": "2",
        "BENCH_PROCESSES": "1",
        "BENCH_WORKERS": "1",
        "BENCH_THREADS": "2",
        "BENCH_RESULTS_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--reseed", "--only", "campaign", "campaign_uncached"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stdout + result.stderr
    [report_path] = tmp_path.glob("*.json")
    report = json.loads(report_path.read_text())
    assert report["data"]["campaigns"] == 40
    rows = {row["name"]: row for row in report["scenarios"]}
    assert set(rows) == {"minimal", "campaign", "campaign_uncached"}
    assert rows["minimal"]["rps"] > 0 and rows["minimal"]["ratio"] == 1.0
    assert rows["campaign"]["errors"] == 0 and rows["campaign"]["rps"] > 0
    assert "minimal" in result.stdout and "req/s" in result.stdout
