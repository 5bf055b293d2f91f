"""Django's Redis cache, tolerant of a Redis outage.

The cache holds nothing that cannot be rebuilt (rendered public pages, rate-limit
counters), so when Redis is down a page must be built from the database rather than
answer 500. Each failure is logged, then Redis is left alone for a few seconds
(config/outage.py); rate limits fail open for the outage.
"""

import logging

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

from config import outage

logger = logging.getLogger(__name__)


def _tolerant(fallback):
    def decorate(method):
        def wrapper(self, *args, **kwargs):
            # Skipped for a few seconds after a failure: a Redis that hangs would make
            # every call wait for its socket timeout (config/outage.py).
            if outage.is_skipped(self.location):
                return fallback(*args, **kwargs) if callable(fallback) else fallback
            try:
                return method(self, *args, **kwargs)
            except RedisError as error:
                outage.failed(self.location)
                logger.warning(
                    "cache unavailable (%s) in %s: serving without it for %g s", error.__class__.__name__, method.__name__, outage.PAUSE_SECONDS
                )
                return fallback(*args, **kwargs) if callable(fallback) else fallback

        wrapper.__name__ = method.__name__
        return wrapper

    return decorate


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's client, building one `redis.Redis` per connection pool instead of one per call.

    redis-py 7 fills a table of some 170 reply callbacks in every `Redis()`: on a
    page served from the cache, that was most of the request's cost. A `Redis`
    only borrows connections from its pool, so one can serve every call.
    """

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        clients = self.__dict__.setdefault("_clients_by_pool", {})
        client = clients.get(pool)
        if client is None:
            client = clients[pool] = self._client(connection_pool=pool)
        return client


class TolerantRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient

    get = _tolerant(lambda key, default=None, version=None: default)(RedisCache.get)
    get_many = _tolerant({})(RedisCache.get_many)
    set = _tolerant(None)(RedisCache.set)
    set_many = _tolerant([])(RedisCache.set_many)
    add = _tolerant(False)(RedisCache.add)
    touch = _tolerant(False)(RedisCache.touch)
    delete = _tolerant(False)(RedisCache.delete)
    delete_many = _tolerant(None)(RedisCache.delete_many)
    has_key = _tolerant(False)(RedisCache.has_key)
    incr = _tolerant(lambda key, delta=1, version=None: delta)(RedisCache.incr)
    clear = _tolerant(False)(RedisCache.clear)

    @_tolerant(None)
    def set_many_and_publish(self, data: dict, *, channel: str, message: str) -> None:
        """Keys without expiry, then an announcement on a pub/sub channel, in one round trip.

        What a bump of public page versions does (trousse/campaigns/local_copies.py listens):
        the keys are written before the announcement goes out.
        """
        client = self._cache.get_client(None, write=True)
        pipeline = client.pipeline(transaction=False)
        pipeline.mset({self.make_and_validate_key(key): self._cache._serializer.dumps(value) for key, value in data.items()})
        pipeline.publish(channel, message)
        pipeline.execute()

    @property
    def location(self) -> str:
        return self._servers[0]
