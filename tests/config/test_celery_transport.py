"""The broker transport (config/celery_transport.py): jobs still reach their queue, through one Redis client."""

import uuid

import pytest
import redis
from kombu import Connection

from config.celery_transport import Transport

REDIS_URL = "redis://127.0.0.1:6379/14"


@pytest.fixture
def broker():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.exceptions.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    with Connection(REDIS_URL, transport=Transport) as connection:
        yield connection


def test_jobs_are_published_in_order_without_a_redis_client_each(broker, monkeypatch):
    clients_built = []
    build = redis.Redis.__init__

    def counting_build(self, *args, **kwargs):
        clients_built.append(self)
        build(self, *args, **kwargs)

    queue = broker.SimpleQueue(f"test-transport-{uuid.uuid4().hex}")
    try:
        queue.put({"job": 0})
        monkeypatch.setattr(redis.Redis, "__init__", counting_build)
        for job in range(1, 6):
            queue.put({"job": job})
        monkeypatch.undo()
        received = []
        for _ in range(6):
            message = queue.get(timeout=5)
            message.ack()
            received.append(message.payload["job"])
    finally:
        queue.clear()
        queue.close()

    assert received == [0, 1, 2, 3, 4, 5]
    # Kombu's own transport built two per job (the exchange's routes, then the push).
    assert clients_built == []
