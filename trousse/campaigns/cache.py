"""Cached public pages, invalidated by version numbers rather than by deleting keys.

A key embeds the current version of what it depends on (the listing, a
campaign); bumping a version makes every older key unreachable at once, on
every web process sharing the cache, without knowing which keys exist.
"""

import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import translation

from .local_copies import LocalCopies, announcement, local_copies

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


def public_cache_bump(campaign_id: int | None = None) -> None:
    """Invalidate the listing and, when given, the campaign's pages. Call it on commit.

    A version only has to differ from the one a cached page was built with (they are
    compared for equality), so a fresh clock value written in one round trip does;
    an increment costs Django's Redis backend two round trips per key. The new
    versions are then announced to every web process's local copies.
    """
    now = time.time_ns()
    scopes = {LISTING: now}
    if campaign_id is not None:
        scopes[f"campaign:{campaign_id}"] = now
    versions = {_version_key(scope): version for scope, version in scopes.items()}
    if hasattr(cache, "set_many_and_publish"):
        # Redis: every web process's local copies hear of it (local_copies.py).
        cache.set_many_and_publish(versions, channel=_channel(), message=announcement(scopes))
    else:
        cache.set_many(versions, timeout=None)


def public_cache_bump_on_commit(campaign_id: int | None = None) -> None:
    """What services call: the bump happens once the change is visible to other requests."""
    transaction.on_commit(lambda: public_cache_bump(campaign_id))


# --- One round trip per page: the version travels with the cached value. ---


@dataclass(frozen=True)
class PublicCacheSlot:
    """Where a fragment goes, and the version read before it was built (see public_cache_get)."""

    key: str
    version: int
    scope: str = LISTING
    # The local copies' generation when the version was read (see LocalCopies.learn).
    generation: int = 0


def _channel() -> str:
    # Channels are server-wide, not per database: the key prefix keeps deployments (and test runs) apart.
    return cache.make_key("public-versions")


def _local_copies() -> LocalCopies | None:
    """This process's copies when pages are shared through Redis (not with a local-memory cache)."""
    location = getattr(cache, "location", None)
    if location is None or not settings.PUBLIC_PAGES_LOCAL_COPIES:
        return None
    return local_copies(location, _channel())


def public_cache_get(name: str, campaign_id: int | None = None) -> tuple[Any, PublicCacheSlot]:
    """The cached value for `name` (in the current language) if still current, else None, and its slot.

    This process's own copy when it holds the newest (local_copies.py); else one
    `get_many` fetches the value and the version it depends on together: the
    value is stored with the version it was built under, so a bump makes it
    stale without a second lookup. Read *before* building: a change committed
    while the page is being built bumps the version past the one the slot holds,
    and the next request rebuilds rather than trusting a page built from old rows.
    """
    language = translation.get_language() or "fr"
    scope = LISTING if campaign_id is None else f"campaign:{campaign_id}"
    key = f"public-value:{name}:{language}" + ("" if campaign_id is None else f":c{campaign_id}")
    local = _local_copies()
    generation = 0
    if local is not None:
        found_here = local.get(key, scope)
        if found_here is not None:
            value, version = found_here
            return value, PublicCacheSlot(key=key, version=version, scope=scope, generation=local.generation)
        generation = local.generation
    version_key = _version_key(scope)
    found = cache.get_many([version_key, key])
    version = found.get(version_key)
    if version is None:
        version = _version(scope)
    slot = PublicCacheSlot(key=key, version=version, scope=scope, generation=generation)
    if local is not None:
        local.learn(scope, version, generation)
    stored = found.get(key)
    if stored is not None and stored[0] == version:
        if local is not None:
            local.keep(key, scope, version, stored[1], generation)
        return stored[1], slot
    return None, slot


def public_cache_set(slot: PublicCacheSlot, value: Any, timeout: int) -> None:
    cache.set(slot.key, (slot.version, value), timeout)
    local = _local_copies()
    if local is not None:
        local.keep(slot.key, slot.scope, slot.version, value, slot.generation)
