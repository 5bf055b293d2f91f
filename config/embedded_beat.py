"""Celery beat for the one-machine default: the periodic jobs run in a thread of the web process.

In production a separate `celery beat` process sends CELERY_BEAT_SCHEDULE to the
workers. With no broker (the embedded default, tasks eager) nothing would ever run
them; this thread does, at the same intervals, so campaigns still go live and end,
and a lost webhook is still caught by reconciliation.
"""

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)


class EmbeddedBeat(threading.Thread):
    def __init__(self, *, schedule: dict | None = None, tick_seconds: float = 15.0, first_run_after: float = 10.0):
        super().__init__(name="embedded-beat", daemon=True)
        self.schedule = schedule if schedule is not None else settings.CELERY_BEAT_SCHEDULE
        self.tick_seconds = tick_seconds
        self.first_run_after = first_run_after
        self.stopped = threading.Event()

    def run_due(self, now: float, next_runs: dict[str, float]) -> list[str]:
        """Run every entry whose time has come; returns their names (a failing job is logged, never fatal)."""
        from config.celery import app

        # Outside a worker Celery discovers tasks lazily: import every app's tasks module.
        app.loader.import_default_modules()
        ran = []
        for name, entry in self.schedule.items():
            if now < next_runs.get(name, 0):
                continue
            next_runs[name] = now + float(entry["schedule"])
            try:
                app.tasks[entry["task"]].apply(args=entry.get("args", ()), throw=True)
            except Exception:
                logger.exception("periodic job %s failed; it runs again in %ss", name, entry["schedule"])
            finally:
                close_old_connections()
            ran.append(name)
        return ran

    def run(self) -> None:
        start = time.monotonic() + self.first_run_after
        next_runs = {name: start for name in self.schedule}
        while not self.stopped.wait(self.tick_seconds):
            self.run_due(time.monotonic(), next_runs)

    def stop(self) -> None:
        self.stopped.set()
