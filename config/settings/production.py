"""Production: every secret from the environment; refuse to start when unsafe.

`DJANGO_SETTINGS_MODULE=config.settings.production python manage.py check --deploy
--fail-level WARNING` passes with the variables of .env.example set
(tests/deploy/test_production_settings.py proves it).
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import MIDDLEWARE, STORAGES, USE_S3, env

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY or SECRET_KEY.startswith("insecure") or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set to a long random value in production.")
if DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off in production.")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must name the site's host names in production.")

SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
if not (SESSION_COOKIE_SECURE and CSRF_COOKIE_SECURE):
    raise ImproperlyConfigured("Session and CSRF cookies must be secure in production.")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# The proxy terminates TLS and says so in this header (and strips it from clients).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Probes speak plain HTTP to the container: a redirect would read as "down".
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy compatible with Stripe.js (config/csp.py), right after
# SecurityMiddleware so that every answer, error pages included, carries it.
MIDDLEWARE = [*MIDDLEWARE]
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "config.csp.ContentSecurityPolicyMiddleware")
CSP_REPORT_ONLY = env.bool("CSP_REPORT_ONLY", default=False)
# Pictures and receipts are served from the bucket's own address when on S3.
CSP_MEDIA_ORIGIN = env.str("CSP_MEDIA_ORIGIN", default="")
if USE_S3 and not CSP_MEDIA_ORIGIN:
    _endpoint = env.str("AWS_S3_ENDPOINT_URL", default="")
    _bucket = env.str("AWS_STORAGE_BUCKET_NAME")
    _region = env.str("AWS_S3_REGION_NAME", default="eu-west-3")
    CSP_MEDIA_ORIGIN = _endpoint or f"https://{_bucket}.s3.{_region}.amazonaws.com"

# Static files: hashed names, compressed, served by WhiteNoise (already in MIDDLEWARE)
# with far-future cache headers; `collectstatic` runs when the image is built.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}

# Structured logs on stdout, one JSON object per line (config/logging.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "config.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Host-header probes from the internet: noise, not incidents.
        "django.security.DisallowedHost": {"handlers": [], "propagate": False},
    },
}

# Outgoing mail (password resets, donation confirmations, tax receipts) over SMTP.
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = 10
