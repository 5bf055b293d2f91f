"""Sending background jobs so that a broker outage never undoes, hides or loses what was committed.

Services dispatch with `task.delay_on_commit(...)`: the job is published once
the transaction has committed. Celery's own version publishes in a plain
`on_commit` callback, so with Redis down the publish raises *after* the commit:
the request answers 500 for a change that is already saved (Stripe retries a
webhook, finds the event applied and stops), and every later callback of the
same transaction (the other jobs, the cache bump) is skipped.

`DispatchSafeTask` (the base of every task, through `task_cls` in
config/celery.py) publishes through `dispatch`: a broker error is logged and
the job runs in this process instead, as it does in the embedded one-machine
mode; an error of the job itself is logged, never raised into the committed
request. After a failure the broker is left alone for a few seconds
(config/outage.py): a broker that hangs would hold every request for its
timeout. The periodic jobs (`donations_reconcile` and its side-effect sweep)
catch up whatever is derivable from the database if this process dies too.
"""

from __future__ import annotations

import functools
import logging
from smtplib import SMTPException
from typing import Any

from celery.contrib.django.task import DjangoTask
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerOperationalError

from config import outage

logger = logging.getLogger(__name__)

# What a publish raises when the broker is down: kombu wraps redis' errors in its
# OperationalError once its own retries are spent; the builtin ConnectionError and
# TimeoutError cover a socket that fails outside kombu's wrapper.
BROKER_ERRORS: tuple[type[BaseException], ...] = (BrokerOperationalError, ConnectionError, TimeoutError)
try:  # redis-py's errors do not derive from the builtin ones
    import redis.exceptions

    BROKER_ERRORS += (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
except ImportError:  # pragma: no cover - redis is a dependency, but the embedded mode does not need it
    pass

# A request must not wait long on a dead broker: one quick retry, then the fallback.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


def _is_eager(task) -> bool:
    return bool(task.app.conf.task_always_eager)


def _run_here(task, args: tuple, kwargs: dict) -> None:
    """Run the job in this process; its failure is logged, as the eager embedded mode does."""
    try:
        result = task.apply(args=args, kwargs=kwargs)
        if result.failed():
            logger.error("job %s%r run in-process failed: %r", task.name, args, result.result)
    except Exception:
        logger.exception("job %s%r run in-process failed", task.name, args)


def _publish(task, args: tuple, kwargs: dict, options: dict) -> bool:
    if _is_eager(task):
        # Through `delay` when it can, exactly as Celery's own delay_on_commit does.
        if options:
            task.apply_async(args=args, kwargs=kwargs, **options)
        else:
            task.delay(*args, **kwargs)
        return True
    broker = task.app.conf.broker_url
    if outage.is_skipped(broker):
        # It failed seconds ago: a broker that hangs would hold this request for its timeout.
        logger.error("broker unreachable a moment ago: job %s%r runs in-process", task.name, args)
        _run_here(task, args, kwargs)
        return False
    try:
        task.apply_async(args=args, kwargs=kwargs, retry_policy=PUBLISH_RETRY_POLICY, **options)
    except BROKER_ERRORS as error:
        outage.failed(broker)
        logger.error("broker unreachable (%s): job %s%r runs in-process", error.__class__.__name__, task.name, args)
        _run_here(task, args, kwargs)
        return False
    return True


def dispatch(task, *args: Any, **kwargs: Any) -> bool:
    """Publish `task(*args, **kwargs)`; True when the broker took it.

    Eager mode (tests, the embedded mode) runs it as Celery would, errors
    included. With a broker that cannot be reached, the job runs here.
    """
    return _publish(task, args, kwargs, {})


def dispatch_on_commit(task, *args: Any, **kwargs: Any) -> None:
    """`dispatch` once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(functools.partial(_publish, task, args, kwargs, {}))


def dispatch_by_name(task_name: str, *args: Any) -> bool:
    """Dispatch another app's task by its registered name, without importing its module."""
    from config.celery import app

    # Loads CELERY_IMPORTS and the autodiscovered tasks.py modules once.
    app.loader.import_default_modules()
    task = app.tasks.get(task_name)
    if task is None:
        logger.warning("task %s is not registered: nothing dispatched for %r", task_name, args)
        return False
    return dispatch(task, *args)


class DispatchSafeTask(DjangoTask):
    """Celery's Django task whose on-commit dispatch survives a broker outage (see the module)."""

    def delay_on_commit(self, *args: Any, **kwargs: Any) -> None:
        dispatch_on_commit(self, *args, **kwargs)

    def apply_async_on_commit(self, args: tuple | None = None, kwargs: dict | None = None, **options: Any) -> None:
        transaction.on_commit(functools.partial(_publish, self, tuple(args or ()), dict(kwargs or {}), options))


# What every e-mail job is: redelivered if its worker dies mid-send (acks_late),
# retried with backoff and jitter while the mail server or the network fails, and
# given up, visibly, after a bounded number of tries. `@shared_task(name=..., **EMAIL_JOB_OPTIONS)`.
EMAIL_JOB_OPTIONS: dict[str, Any] = {
    "base": DispatchSafeTask,
    "acks_late": True,
    "autoretry_for": (OSError, SMTPException),
    "retry_backoff": 30,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": 8,
}
