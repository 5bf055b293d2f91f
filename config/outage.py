"""A service that just failed is skipped for a few seconds by this process.

A Redis that hangs (a network partition, a server out of memory) does not refuse
connections: each call waits for its socket timeout, half a second for a cache
read, five seconds for a job's publish. A page makes several cache calls and a
webhook publishes a job, so every request would wait seconds, and soon every
thread of every web process would be waiting. After one failure, callers take
their fallback at once (a page built from the database, a job run in-process)
until the pause is over; the next call then tries the service again.
"""

from __future__ import annotations

import time

PAUSE_SECONDS = 5.0

# Service address -> the monotonic time until which it is skipped.
_skipped_until: dict[str, float] = {}


def is_skipped(service: str) -> bool:
    until = _skipped_until.get(service)
    return until is not None and time.monotonic() < until


def failed(service: str, *, pause: float = PAUSE_SECONDS) -> None:
    """Record a failure: `is_skipped(service)` holds for the next `pause` seconds."""
    _skipped_until[service] = time.monotonic() + pause


def forget() -> None:
    """Every service is tried again at its next call (tests, between cases)."""
    _skipped_until.clear()
