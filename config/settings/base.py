"""Settings read from the environment (12-factor).

With no variable set the project runs on one machine: SQLite under var/, media on
local disk, Celery eager, localstripe on 127.0.0.1:8420.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# The embedded default only: production.py refuses to start without a real key.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="insecure-dev-key-only-for-the-embedded-default")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "trousse.accounts",
    "trousse.campaigns",
    "trousse.moderation",
    "trousse.payments",
    "trousse.ledger",
    "trousse.privacy",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
            "builtins": ["frontend.templatetags.money"],
        },
    }
]

VAR_DIR.mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'trousse.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the web process read while a background job writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL;"
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    # A check before each request's first query, so a PostgreSQL restart costs no
    # request an error; config/postgresql makes it a look at the socket, not a round trip.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DB_CONN_HEALTH_CHECKS", default=True)
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "config.postgresql"
    # Prepared statements: parameters sent apart from the SQL, and a statement prepared on
    # its fifth run on a connection, so the busiest ones (the campaign page's, the
    # webhook's) are planned once per connection rather than at every request. Behind a
    # transaction pooler that cannot keep them (PgBouncer before 1.21), set it to 0.
    if env.bool("DB_PREPARED_STATEMENTS", default=True):
        DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "frontend" / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))

USE_S3 = env.bool("USE_S3", default=False)
if USE_S3:
    _s3_options = {
        "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
        "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
        "region_name": env.str("AWS_S3_REGION_NAME", default="eu-west-3"),
        "access_key": env.str("AWS_ACCESS_KEY_ID"),
        "secret_key": env.str("AWS_SECRET_ACCESS_KEY"),
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
        # MinIO and moto want path-style addresses (bucket in the path, not the host).
        "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="path"),
    }
    _default_storage = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _s3_options}
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Uploads are read into memory up to this size, then spooled to disk; the
# upload validators refuse anything above their own limit (10 MB for pictures).
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# Redis when given (shared by web processes: rate limits, cached pages), else memory.
REDIS_URL = env.str("REDIS_URL", default=env.str("CELERY_BROKER_URL", default=""))
if REDIS_URL.startswith("redis"):
    CACHES = {
        "default": {
            "BACKEND": "config.cache.TolerantRedisCache",
            # Fail fast: a page built from the database beats a page waiting on a dead cache.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="trousse"),
        }
    }
    # Each web process keeps the public pages it served, told of every change by
    # Redis pub/sub (trousse/campaigns/local_copies.py): no round trip per page.
    PUBLIC_PAGES_LOCAL_COPIES = env.bool("PUBLIC_PAGES_LOCAL_COPIES", default=True)
else:
    PUBLIC_PAGES_LOCAL_COPIES = False
    # Three entries per public campaign page: room for a whole year's campaigns.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 20_000}}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="memory://")
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT = "config.celery_transport:Transport"
# Embedded default: no broker, jobs run in the web process.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=CELERY_BROKER_URL == "memory://")
# Embedded default: a failing background job (a receipt PDF, an e-mail) is logged,
# never turned into an error page for the donor whose request ran it. Tests propagate.
CELERY_TASK_EAGER_PROPAGATES = env.bool("CELERY_TASK_EAGER_PROPAGATES", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A Redis that hangs must not hang the request that publishes: fail fast, then the
# job runs in-process (trousse/tasks_dispatch.py).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_TIMEZONE = TIME_ZONE
# Celery's own defaults, written out: it reads these at every publish, and a setting
# missing here costs four failed look-ups on Django's settings first (a fifth of a publish).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_SEND_SENT_EVENT = False
CELERY_TASK_REPR_MAXLEVELS = 3
CELERY_BROKER_POOL_ACQUIRE_TIMEOUT = None
# Task modules not named tasks.py (autodiscovery finds only those).
CELERY_IMPORTS = ["trousse.payments.receipt_tasks"]
# Every periodic job in one place (beat in production; run_embedded's thread on one machine).
CELERY_BEAT_SCHEDULE = {
    "campaigns-advance-by-date": {"task": "trousse.campaigns.tasks.campaigns_advance_by_date", "schedule": 300.0},
    # A lost webhook loses no donation: ask Stripe about what is still open.
    "payments-reconcile": {"task": "trousse.payments.tasks.donations_reconcile", "schedule": 600.0},
    # Receipts of succeeded campaigns whose dispatch was lost (a broker outage at the wrong moment).
    "receipts-issue-missing": {"task": "trousse.payments.receipt_tasks.tax_receipts_issue_missing", "schedule": 6 * 3600.0},
    "privacy-retention-purge": {"task": "trousse.privacy.tasks.privacy_retention_run", "schedule": 24 * 3600.0},
}

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="La Trousse <ne-pas-repondre@latrousse.occe.coop>")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "trousse.api.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "trousse.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "La Trousse API",
    "DESCRIPTION": "Projets de classe, modération, dons et comptes des coopératives scolaires OCCE.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs page loads Swagger UI from our static files, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Stripe: with no key, the embedded localstripe (make run starts it).
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="sk_test_localstripe")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="pk_test_localstripe")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="whsec_localstripe")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="http://127.0.0.1:8420")
STRIPE_JS_URL = env.str(
    "STRIPE_JS_URL",
    default="https://js.stripe.com/v3/" if not STRIPE_SECRET_KEY.endswith("localstripe") else f"{STRIPE_API_BASE}/js.stripe.com/v3/",
)
USES_LOCALSTRIPE = STRIPE_SECRET_KEY == "sk_test_localstripe"
# Per attempt (connect, then read), three attempts at most: a Stripe that hangs answers the
# donor "try again" within about 25 s, before gunicorn's 30 s, not after Stripe's own 80 s.
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=8.0)

RATELIMIT_VIEW = "frontend.views.errors.ratelimited"
# The site's page, in French or English, instead of Django's English one (404.html, 403.html, 400.html and
# 500.html are found at the root of frontend/templates).
CSRF_FAILURE_VIEW = "frontend.views.errors.csrf_failure"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # fontTools (fpdf2's font subsetting) narrates every receipt at INFO.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}
