"""What Celery reads from Django's settings at every publish is there at the first try."""

from celery import Celery
from django.conf import LazySettings


def test_publishing_a_job_misses_no_setting(monkeypatch):
    # Configured as config/celery.py does, on an in-memory broker.
    app = Celery("trousse-settings-check")
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(broker_url="memory://", broker_transport="memory", task_always_eager=False)
    app.send_task("trousse.settings_check", args=(1,))  # the first publish reads the broker's set-up once

    missed = []
    look_up = LazySettings.__getattr__

    def counting_look_up(self, name):
        try:
            return look_up(self, name)
        except AttributeError:
            missed.append(name)
            raise

    monkeypatch.setattr(LazySettings, "__getattr__", counting_look_up)
    app.send_task("trousse.settings_check", args=(2,))

    # Each miss is an exception raised and caught on the publishing request's time.
    assert missed == []
