"""Redis hanging (it accepts connections, answers nothing): one request waits, the next ones do not.

Without a pause after a failure (config/outage.py), each cache call of each page
would wait for its socket timeout, and each job's publish for the broker's.
"""

import logging

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.html import escape

from config import outage
from tests import factories
from trousse.payments.models import DonationStatus
from trousse.tasks_dispatch import dispatch

from .conftest import _reset_broker_connections

pytestmark = pytest.mark.django_db


def _later(monkeypatch, seconds: float) -> None:
    """Move this process's clock `seconds` ahead, as outage.py reads it."""
    now = outage.time.monotonic()
    monkeypatch.setattr(outage.time, "monotonic", lambda: now + seconds)


def test_pages_stop_waiting_for_a_hanging_redis_cache_until_the_pause_is_over(client, settings, live_campaign, hanging_redis, monkeypatch):
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.TolerantRedisCache",
            "LOCATION": hanging_redis.url,
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    page = reverse("campaign_detail", kwargs={"slug": live_campaign.slug})
    assert client.get(page).status_code == 200
    tried = hanging_redis.connections
    assert tried >= 1

    for _ in range(3):
        response = client.get(page)
        assert response.status_code == 200
        assert escape(live_campaign.title) in response.content.decode()
    assert hanging_redis.connections == tried, "pages went on waiting for the hanging cache"

    _later(monkeypatch, outage.PAUSE_SECONDS + 1)
    assert client.get(page).status_code == 200
    assert hanging_redis.connections > tried, "Redis was never tried again"


@pytest.fixture
def hanging_broker(hanging_redis, monkeypatch):
    """Celery as in production, its broker hanging; a short socket timeout keeps the test quick."""
    from config.celery import app

    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager", "broker_transport_options")}
    app.conf.update(broker_url=hanging_redis.url, task_always_eager=False, broker_transport_options={"socket_connect_timeout": 0.3, "socket_timeout": 0.3})
    _reset_broker_connections(app)
    try:
        yield hanging_redis
    finally:
        app.conf.update(saved)
        _reset_broker_connections(app)


def test_jobs_run_here_without_waiting_for_a_hanging_broker_until_the_pause_is_over(hanging_broker, live_campaign, caplog, monkeypatch):
    from trousse.payments import tasks

    first, second, third = (factories.DonationFactory(campaign=live_campaign, status=DonationStatus.SUCCEEDED) for _ in range(3))
    with caplog.at_level(logging.ERROR, logger="trousse.tasks_dispatch"):
        assert dispatch(tasks.donation_confirmation_send, first.pk) is False
    tried = hanging_broker.connections
    assert tried >= 1 and "broker unreachable" in caplog.text

    # Seconds later: the job runs here at once, the broker is not tried.
    assert dispatch(tasks.donation_confirmation_send, second.pk) is False
    assert hanging_broker.connections == tried
    assert sorted(message.to[0] for message in mail.outbox) == sorted([first.email, second.email])

    _later(monkeypatch, outage.PAUSE_SECONDS + 1)
    assert dispatch(tasks.donation_confirmation_send, third.pk) is False
    assert hanging_broker.connections > tried, "the broker was never tried again"
    assert len(mail.outbox) == 3
