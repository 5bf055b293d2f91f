"""Kombu's Redis transport, publishing through one `redis.Redis` per channel.

Kombu builds a new `redis.Redis` for every command outside a consumer: two per
published job. redis-py 7 fills a table of some 170 reply callbacks in each,
which made publishing a job a fifth of a webhook's Python time. A `Redis` only
borrows connections from its pool and is safe to share between threads, so one
per pool serves every call (as config/cache.py does for the cache).

Used when the broker is Redis (CELERY_BROKER_TRANSPORT in config/settings/base.py).
"""

from contextlib import contextmanager

from kombu.transport import redis


class Channel(redis.Channel):
    _shared_client = None

    @contextmanager
    def conn_or_acquire(self, client=None):
        if client:
            yield client
            return
        shared = self._shared_client
        # A reconnect replaces the pool (_disconnect_pools): a client of the old one must go too.
        if shared is None or shared.connection_pool is not self.pool:
            shared = self._shared_client = self._create_client()
        yield shared


class Transport(redis.Transport):
    Channel = Channel
