"""The production-shaped settings of config.settings.base, with the bench-only URLconf.

Everything else (DEBUG off, DATABASE_URL, MEDIA_ROOT) comes from the environment
that bench/__main__.py sets before it starts gunicorn.
"""

from config.settings.base import *  # noqa: F401,F403

ROOT_URLCONF = "bench.urls"
# One line per request would cost the measured processes more than some views do.
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}

# The "uncached" profile measures pages built from the database on every request.
if env.str("BENCH_CACHE", default="cached") == "uncached":  # noqa: F405
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}

# The donation scenario posts hundreds of gifts a second from 127.0.0.1: the card-testing
# guard still counts every attempt (its cost is measured), it just never says no.
if env.bool("BENCH_NO_RATELIMIT", default=False):  # noqa: F405
    DONATION_RATELIMIT_PER_IP = "1000000/s"
    DONATION_RATELIMIT_PER_CAMPAIGN = "1000000/s"
