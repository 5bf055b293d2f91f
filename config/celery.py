import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

# Every task publishes safely: a broker outage never turns a committed change into an error.
app = Celery("trousse", task_cls="trousse.tasks_dispatch:DispatchSafeTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
