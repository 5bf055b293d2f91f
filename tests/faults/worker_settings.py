"""Settings of the Celery worker that test_worker_crash.py starts in a subprocess.

The test settings, but not eager, on the test's own Redis queue (a key prefix
and a queue name unique to the run, so that parallel runs never share a
message), with a visibility timeout of seconds so that the message of a
killed worker comes back within the test.
"""

import os

from config.settings.test import *  # noqa: F401,F403
from config.settings.test import CELERY_IMPORTS

CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_BROKER_URL = os.environ["FAULTS_BROKER_URL"]
CELERY_TASK_DEFAULT_QUEUE = os.environ["FAULTS_QUEUE"]
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": float(os.environ.get("FAULTS_VISIBILITY_TIMEOUT", "3")),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
    # A worker killed while it holds the restore mutex would otherwise block every
    # restore for kombu's default 300 s: the test would wait for nothing.
    "unacked_mutex_expire": 5,
    "global_keyprefix": os.environ["FAULTS_KEYPREFIX"],
}
# The PDFs and e-mails are another story: parked on a queue nobody consumes.
CELERY_TASK_ROUTES = {
    "trousse.payments.receipt_tasks.tax_receipt_deliver": {"queue": os.environ["FAULTS_QUEUE"] + "-parked"},
    "trousse.payments.receipt_tasks.tax_receipt_notify_cancelled": {"queue": os.environ["FAULTS_QUEUE"] + "-parked"},
}
CELERY_IMPORTS = [*CELERY_IMPORTS, "tests.faults.worker_hooks"]
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
