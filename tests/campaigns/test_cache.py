from django.core.cache import cache

from trousse.campaigns.cache import public_cache_bump, public_cache_key


def test_bumping_a_campaign_changes_its_keys_and_the_listing_keys():
    listing, page, other = public_cache_key("home"), public_cache_key("detail", 1), public_cache_key("detail", 2)
    cache.set(page, "old page")
    public_cache_bump(1)
    assert public_cache_key("home") != listing
    assert public_cache_key("detail", 1) != page
    assert cache.get(public_cache_key("detail", 1)) is None
    # Another campaign's page stays cached.
    assert public_cache_key("detail", 2) == other


def test_bumping_the_listing_alone_keeps_campaign_pages():
    page = public_cache_key("detail", 3)
    listing = public_cache_key("home")
    public_cache_bump()
    assert public_cache_key("home") != listing
    assert public_cache_key("detail", 3) == page


def test_an_evicted_version_does_not_revive_old_keys():
    page = public_cache_key("detail", 4)
    cache.clear()
    assert public_cache_key("detail", 4) != page
