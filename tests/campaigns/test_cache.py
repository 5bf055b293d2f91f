from django.core.cache import cache

from trousse.campaigns.cache import _version_key, public_cache_bump, public_cache_get, public_cache_set


def _store(name, value, campaign_id=None):
    found, slot = public_cache_get(name, campaign_id)
    assert found is None
    public_cache_set(slot, value, 60)
    assert public_cache_get(name, campaign_id)[0] == value


def test_bumping_a_campaign_retires_its_copies_and_the_listings():
    _store("home", "listing")
    _store("detail", "page 1", 1)
    _store("detail", "page 2", 2)

    public_cache_bump(1)

    assert public_cache_get("home")[0] is None
    assert public_cache_get("detail", 1)[0] is None
    # Another campaign's page stays cached.
    assert public_cache_get("detail", 2)[0] == "page 2"


def test_bumping_the_listing_alone_keeps_campaign_pages():
    _store("home", "listing")
    _store("detail", "page 3", 3)
    public_cache_bump()
    assert public_cache_get("home")[0] is None
    assert public_cache_get("detail", 3)[0] == "page 3"


def test_an_evicted_version_does_not_revive_an_old_copy():
    _store("detail", "page 4", 4)
    old_version = cache.get(_version_key("campaign:4"))
    cache.delete(_version_key("campaign:4"))

    found, slot = public_cache_get("detail", 4)

    assert found is None and slot.version != old_version
