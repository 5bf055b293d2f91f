"""Each web process's copies of public pages: served without Redis, never once a bump is announced.

Against the machine's Redis (skipped without one), with a key prefix of their own:
pub/sub channels are server-wide.
"""

import time
import uuid

import pytest
import redis

from config.cache import TolerantRedisCache
from trousse.campaigns import cache as public_cache

REDIS_URL = "redis://127.0.0.1:6379/14"


@pytest.fixture
def shared_cache(monkeypatch, settings):
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.exceptions.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    cache = TolerantRedisCache(REDIS_URL, {"KEY_PREFIX": f"test-copies-{uuid.uuid4().hex}"})
    monkeypatch.setattr(public_cache, "cache", cache)
    settings.PUBLIC_PAGES_LOCAL_COPIES = True
    copies = public_cache._local_copies()
    assert copies.wait_until_live(5), "the subscription never came up"
    yield cache
    copies.stop()


def _wait_for(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def _forget_in_redis(cache, campaign_id=7):
    # Not cache.clear(): the other test worker shares this Redis database.
    redis.Redis.from_url(REDIS_URL).delete(*(cache.make_key(key) for key in ("public-version:listing", f"public-version:campaign:{campaign_id}", f"public-value:campaign-page:x:fr:c{campaign_id}")))


def _store(name, value, campaign_id=7):
    found, slot = public_cache.public_cache_get(name, campaign_id)
    assert found is None
    public_cache.public_cache_set(slot, value, 60)


def test_a_page_is_served_from_the_process_even_when_redis_lost_it(shared_cache):
    _store("campaign-page:x", "<p>page</p>")
    _forget_in_redis(shared_cache)  # Redis forgets the page and its version: only the process's copy is left

    found, _slot = public_cache.public_cache_get("campaign-page:x", 7)

    assert found == "<p>page</p>"


def test_a_bump_announced_by_another_process_retires_the_copy(shared_cache):
    _store("campaign-page:x", "<p>avant le don</p>")
    other_process = redis.Redis.from_url(REDIS_URL)
    version = time.time_ns()
    # What public_cache_bump does in the process that credited the donation.
    other_process.set(shared_cache.make_key("public-version:campaign:7"), shared_cache._cache._serializer.dumps(version))
    other_process.publish(shared_cache.make_key("public-versions"), public_cache.announcement({"listing": version, "campaign:7": version}))

    assert _wait_for(lambda: public_cache.public_cache_get("campaign-page:x", 7)[0] is None)
    assert public_cache.public_cache_get("campaign-page:x", 7)[1].version == version


def test_a_bump_retires_this_campaigns_copy_and_keeps_the_others(shared_cache):
    _store("campaign-page:x", "<p>page</p>")
    public_cache.public_cache_bump(8)
    time.sleep(0.2)
    assert public_cache.public_cache_get("campaign-page:x", 7)[0] == "<p>page</p>"

    public_cache.public_cache_bump(7)

    assert _wait_for(lambda: public_cache.public_cache_get("campaign-page:x", 7)[0] is None)


def test_copies_are_forgotten_while_the_subscription_is_down(shared_cache):
    _store("campaign-page:x", "<p>page</p>")
    copies = public_cache._local_copies()
    generation = copies.generation
    admin = redis.Redis.from_url(REDIS_URL)
    ours = [client for client in admin.client_list(_type="pubsub") if client["name"] == f"copies:{shared_cache.make_key('public-versions')}"]
    assert ours
    for client in ours:
        admin.client_kill_filter(_id=client["id"])

    assert _wait_for(lambda: copies.generation != generation)
    _forget_in_redis(shared_cache)
    # Deaf or just back: nothing kept from before the cut is served.
    assert public_cache.public_cache_get("campaign-page:x", 7)[0] is None
    assert copies.wait_until_live(15)
