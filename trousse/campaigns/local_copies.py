"""Each web process's own copies of cached public pages, kept exact by Redis pub/sub.

The shared cache (Redis) costs a round trip per page; a busy campaign page is
asked for hundreds of times between two donations. So each process keeps the
copies it has fetched, with the version each was built under, and a thread
subscribed to the channel on which every bump is announced
(trousse/campaigns/cache.py) keeps the process's view of the versions current.

A copy is served only while that subscription is up and the copy's version is
the newest the process has heard of. When the subscription drops (Redis
restarted, a network cut), everything kept is forgotten and pages come from
Redis again until it is back: a bump missed while deaf can never leave a stale
copy behind. Copies also expire after LOCAL_COPY_SECONDS, like the shared ones.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from typing import Any

logger = logging.getLogger(__name__)

# Bounds what one process holds (a campaign page is ~20 KB: 40 MB at most).
MAX_COPIES = 2_000
LOCAL_COPY_SECONDS = 60
# The subscription is checked with a PING this often; silence for SILENCE_LIMIT means it is dead.
PING_EVERY = 5.0
SILENCE_LIMIT = 15.0


def announcement(versions: dict[str, int]) -> str:
    """What a bump publishes: "listing=1733… campaign:42=1733…" (scopes hold no space)."""
    return " ".join(f"{scope}={version}" for scope, version in versions.items())


class LocalCopies:
    def __init__(self, redis_url: str, channel: str):
        self._redis_url = redis_url
        self._channel = channel
        self._lock = threading.Lock()
        self._versions: dict[str, int] = {}
        self._copies: OrderedDict[str, tuple[str, int, float, Any]] = OrderedDict()
        self._live = False
        # Bumped whenever what the process knows is thrown away: a version read from
        # Redis before that moment must not be learnt after it.
        self._generation = 0
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ readers (request threads)

    @property
    def generation(self) -> int:
        return self._generation

    def get(self, key: str, scope: str) -> tuple[Any, int] | None:
        """(value, version) when this process holds a copy that is still the newest, else None."""
        if not self._live:
            return None
        found = self._copies.get(key)
        if found is None:
            return None
        copy_scope, version, expires, value = found
        if copy_scope != scope or self._versions.get(scope) != version or expires < time.monotonic():
            return None
        return value, version

    def learn(self, scope: str, version: int, generation: int) -> None:
        """A version read from Redis: kept unless the subscriber already knows a newer one."""
        with self._lock:
            if self._live and generation == self._generation:
                self._versions.setdefault(scope, version)

    def keep(self, key: str, scope: str, version: int, value: Any, generation: int) -> None:
        """Keep a copy read from (or written to) Redis, if its version is the newest known."""
        with self._lock:
            if not self._live or generation != self._generation or self._versions.get(scope) != version:
                return
            self._copies[key] = (scope, version, time.monotonic() + LOCAL_COPY_SECONDS, value)
            self._copies.move_to_end(key)
            while len(self._copies) > MAX_COPIES:
                self._copies.popitem(last=False)

    # ------------------------------------------------------------------ the subscriber thread

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="public-cache-versions", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()

    def wait_until_live(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self._live and time.monotonic() < deadline:
            time.sleep(0.01)
        return self._live

    def _forget(self, *, live: bool) -> None:
        with self._lock:
            self._versions.clear()
            self._copies.clear()
            self._generation += 1
            self._live = live

    def _heard(self, data: bytes) -> None:
        with self._lock:
            for pair in data.decode().split():
                scope, _, version = pair.rpartition("=")
                self._versions[scope] = int(version)

    def _run(self) -> None:
        import redis

        backoff = 0.5
        while not self._stopped.is_set():
            pubsub = None
            try:
                client = redis.Redis.from_url(
                    self._redis_url, socket_connect_timeout=1, socket_timeout=SILENCE_LIMIT, client_name=f"copies:{self._channel}"
                )
                pubsub = client.pubsub()
                pubsub.subscribe(self._channel)
                heard_at = pinged_at = time.monotonic()
                while not self._stopped.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    now = time.monotonic()
                    if message is not None:
                        heard_at = now
                        if message["type"] == "subscribe":
                            # From here on no bump can be missed: start from nothing.
                            self._forget(live=True)
                            backoff = 0.5
                        elif message["type"] == "message":
                            self._heard(message["data"])
                    if now - heard_at > SILENCE_LIMIT:
                        raise TimeoutError("no answer to PING on the public-versions subscription")
                    if now - pinged_at > PING_EVERY:
                        pubsub.ping()
                        pinged_at = now
            except Exception as error:  # noqa: BLE001 - whatever broke, the copies are no longer trustworthy
                if not self._stopped.is_set():
                    logger.warning("public page copies off until Redis answers again: %s", error)
            finally:
                self._forget(live=False)
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except Exception:  # noqa: BLE001
                        pass
            self._stopped.wait(backoff)
            backoff = min(backoff * 2, 10.0)


_process_copies: dict[tuple[int, str, str], LocalCopies] = {}
_start_lock = threading.Lock()


def local_copies(redis_url: str, channel: str) -> LocalCopies:
    """This process's copies, started on first use (after gunicorn's fork, never before)."""
    key = (os.getpid(), redis_url, channel)
    copies = _process_copies.get(key)
    if copies is None:
        with _start_lock:
            copies = _process_copies.get(key)
            if copies is None:
                copies = _process_copies[key] = LocalCopies(redis_url, channel)
                copies.start()
    return copies
