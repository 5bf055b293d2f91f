"""GET /health/: 200 when the database, the broker and the storage answer; 503 naming what failed."""

import socket
from unittest import mock

import pytest
from django.db.utils import OperationalError

from config import health as health_module


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def no_broker(settings):
    settings.CELERY_BROKER_URL = "memory://"


def test_all_good_in_the_embedded_set_up(client, db, no_broker):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "skipped", "storage": "ok"}}
    assert "no-cache" in response["Cache-Control"]


def test_database_down_is_a_503_naming_it(client, db, no_broker):
    with mock.patch.object(health_module.connection, "cursor", side_effect=OperationalError("could not connect to server")):
        response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error" and body["failed"] == ["database"]
    assert body["checks"]["database"] == "error: OperationalError"
    # What failed, never how: no host, no credentials in a public answer.
    assert "connect" not in response.content.decode()


def test_broker_down_is_a_503(client, db, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_free_port()}/0"
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["failed"] == ["broker"]
    assert response.json()["checks"]["storage"] == "ok"


def test_storage_down_is_a_503(client, db, no_broker):
    with mock.patch.object(health_module.default_storage, "exists", side_effect=OSError("bucket unreachable")):
        response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["failed"] == ["storage"]


def test_a_hanging_dependency_fails_within_the_timeout(client, db, no_broker, monkeypatch):
    import threading

    release = threading.Event()
    monkeypatch.setattr(health_module, "CHECK_TIMEOUT_SECONDS", 0.2)
    with mock.patch.object(health_module.default_storage, "exists", side_effect=lambda key: release.wait(5)):
        response = client.get("/health/")
    release.set()
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == "error: TimeoutError"


def test_redis_broker_answers(client, db, settings):
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    settings.CELERY_BROKER_URL = url
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == "ok"


def test_only_reads(client, db, no_broker):
    assert client.post("/health/").status_code == 405
