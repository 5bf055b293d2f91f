from config.cache import TolerantRedisCache


def test_a_dead_redis_serves_misses_instead_of_errors():
    # Nothing listens on port 1: every call fails to connect.
    cache = TolerantRedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}})
    assert cache.get("page", "fallback") == "fallback"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.set("page", "html") is None
    assert cache.add("counter", 1) is False
    assert cache.incr("counter") == 1


def test_a_live_redis_still_caches(settings):
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/14", socket_connect_timeout=0.5).ping()
    except redis.exceptions.RedisError:
        import pytest

        pytest.skip("no Redis on 127.0.0.1:6379")
    cache = TolerantRedisCache("redis://127.0.0.1:6379/14", {"KEY_PREFIX": "trousse-test-cache"})
    cache.set("greeting", "bonjour", 30)
    assert cache.get("greeting") == "bonjour"
    cache.delete("greeting")
