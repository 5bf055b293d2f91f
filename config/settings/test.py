from .base import *  # noqa: F401,F403
from .base import env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Jobs run eagerly, on commit, in tests; the worker itself is exercised separately.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = "memory://"
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Each test run (and each xdist worker) gets its own cache namespace.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# No subscriber thread per test process; tests/campaigns/test_local_copies.py turns them on.
PUBLIC_PAGES_LOCAL_COPIES = False
MEDIA_ROOT = env.path("MEDIA_ROOT", default="/tmp/trousse-test-media")
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
