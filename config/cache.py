"""Django's Redis cache, tolerant of a Redis outage.

The cache holds nothing that cannot be rebuilt (rendered public pages, rate-limit
counters), so when Redis is down a page must be built from the database rather than
answer 500. Each failure is logged; rate limits fail open for the outage.
"""

import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _tolerant(fallback):
    def decorate(method):
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except RedisError as error:
                logger.warning("cache unavailable (%s) in %s: serving without it", error.__class__.__name__, method.__name__)
                return fallback(*args, **kwargs) if callable(fallback) else fallback

        wrapper.__name__ = method.__name__
        return wrapper

    return decorate


class TolerantRedisCache(RedisCache):
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
