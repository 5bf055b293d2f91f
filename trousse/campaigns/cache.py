"""Cached public pages, invalidated by version numbers rather than by deleting keys.

A key embeds the current version of what it depends on (the listing, a
campaign); bumping a version makes every older key unreachable at once, on
every web process sharing the cache, without knowing which keys exist.
"""

import time

from django.core.cache import cache
from django.db import transaction
from django.utils import translation

LISTING = "listing"


def _version_key(scope: str) -> str:
    return f"public-version:{scope}"


def _version(scope: str) -> int:
    key = _version_key(scope)
    version = cache.get(key)
    if version is None:
        # Start from the clock, not from 1: if the cache evicted the counter, a
        # restart at 1 could make stale pages with version 1 valid again.
        cache.add(key, time.time_ns(), timeout=None)
        version = cache.get(key)
    return version


def _bump(scope: str) -> None:
    key = _version_key(scope)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, time.time_ns(), timeout=None)


def public_cache_key(name: str, campaign_id: int | None = None) -> str:
    """The key for a cached fragment of a public page, in the current language.

    Without a campaign it depends on the listing's version; with one, on that
    campaign's version (bumped too whenever the campaign changes).
    """
    language = translation.get_language() or "fr"
    if campaign_id is None:
        return f"public:{name}:{language}:l{_version(LISTING)}"
    return f"public:{name}:{language}:c{campaign_id}:{_version(f'campaign:{campaign_id}')}"


def public_cache_bump(campaign_id: int | None = None) -> None:
    """Invalidate the listing and, when given, the campaign's pages. Call it on commit."""
    _bump(LISTING)
    if campaign_id is not None:
        _bump(f"campaign:{campaign_id}")


def public_cache_bump_on_commit(campaign_id: int | None = None) -> None:
    """What services call: the bump happens once the change is visible to other requests."""
    transaction.on_commit(lambda: public_cache_bump(campaign_id))
