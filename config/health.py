"""Readiness for the proxy, the orchestrator and docker-compose's healthcheck.

GET /health/ checks the database, the Celery broker (when it is Redis) and the
file storage, and answers 200 when all answer, 503 naming what failed. The body
holds only the names of checks and of exceptions: hostnames and credentials
stay in the logs.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

# A check that takes longer counts as failed: a probe must answer before its own timeout.
CHECK_TIMEOUT_SECONDS = 3.0
STORAGE_PROBE_KEY = "health/probe.txt"
# Storage calls (S3 over HTTP) can hang far longer than a probe waits: they run here.
_slow_checks = ThreadPoolExecutor(max_workers=2, thread_name_prefix="health")


def check_database() -> str:
    # In the request's thread: it reuses the persistent connection, as pages do.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def check_broker() -> str:
    url = settings.CELERY_BROKER_URL or ""
    if not url.startswith(("redis://", "rediss://")):
        # memory:// is the embedded default: jobs run in the web process, no broker to lose.
        return "skipped"
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=CHECK_TIMEOUT_SECONDS, socket_timeout=CHECK_TIMEOUT_SECONDS)
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


def check_storage() -> str:
    # Either answer proves the storage is reachable and the credentials are accepted.
    default_storage.exists(STORAGE_PROBE_KEY)
    return "ok"


def _bounded(check) -> str:
    future = _slow_checks.submit(check)
    try:
        return future.result(timeout=CHECK_TIMEOUT_SECONDS)
    except FutureTimeout as error:
        raise TimeoutError(f"no answer within {CHECK_TIMEOUT_SECONDS:g} s") from error


CHECKS = {
    "database": check_database,
    "broker": lambda: _bounded(check_broker),
    "storage": lambda: _bounded(check_storage),
}


@never_cache
@require_safe
def health(request):
    results: dict[str, str] = {}
    failed: list[str] = []
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as error:  # noqa: BLE001 - any failure of a dependency is a 503, never a 500
            logger.warning("health check %s failed: %r", name, error, extra={"check": name})
            results[name] = f"error: {type(error).__name__}"
            failed.append(name)
    body = {"status": "error" if failed else "ok", "checks": results}
    if failed:
        body["failed"] = failed
    return JsonResponse(body, status=503 if failed else 200)
