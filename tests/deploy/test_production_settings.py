"""config.settings.production: passes Django's deployment checks, refuses unsafe set-ups.

Each case runs in a subprocess with a clean environment, as a server would start.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRET = "k3Jd9-ffQz_81mXnA0pLrT6vWb2YcE4sHu7iGo5NaZq" + "Vx8Ry1Tm"


def _production_env(**overrides) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": SECRET,
        "DJANGO_ALLOWED_HOSTS": "latrousse.example.org",
        "DATABASE_URL": "postgres://trousse:secret@127.0.0.1:5432/trousse_never_connected",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "STRIPE_SECRET_KEY": "sk_live_example",
        "STRIPE_PUBLISHABLE_KEY": "pk_live_example",
        "STRIPE_WEBHOOK_SECRET": "whsec_example",
        "STRIPE_API_BASE": "https://api.stripe.com",
    }
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def _run(args: list[str], **env_overrides) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=_production_env(**env_overrides), capture_output=True, text=True, timeout=120)


def test_security_checks_pass_with_production_variables():
    result = _run(["manage.py", "check", "--deploy", "--tag", "security", "--fail-level", "WARNING"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_passes_with_production_variables():
    # Every deploy check, the API schema's (drf-spectacular) included: issue #5's criterion.
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    assert result.returncode == 0, result.stderr


def test_security_checks_pass_on_s3_storage():
    result = _run(
        ["manage.py", "check", "--deploy", "--tag", "security", "--fail-level", "WARNING"],
        USE_S3="1", AWS_STORAGE_BUCKET_NAME="trousse", AWS_ACCESS_KEY_ID="id", AWS_SECRET_ACCESS_KEY="secret", AWS_S3_ENDPOINT_URL="https://files.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "too-short"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "insecure-" + "x" * 60}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_DEBUG": "1"}, "DJANGO_DEBUG"),
        ({"SESSION_COOKIE_SECURE": "0"}, "cookies must be secure"),
        ({"CSRF_COOKIE_SECURE": "0"}, "cookies must be secure"),
        ({"DJANGO_ALLOWED_HOSTS": None}, "DJANGO_ALLOWED_HOSTS"),
        ({"DJANGO_ALLOWED_HOSTS": "*"}, "DJANGO_ALLOWED_HOSTS"),
    ],
)
def test_refuses_to_start_when_unsafe(overrides, message):
    result = _run(["-c", "import config.settings.production"], **overrides)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_production_serves_the_policy_the_logs_and_the_static_files_it_promises():
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; from config.csp import build_policy;"
        "print(json.dumps({'middleware': s.MIDDLEWARE, 'policy': build_policy(), 'static': s.STORAGES['staticfiles']['BACKEND'],"
        "'formatter': s.LOGGING['formatters']['json'], 'hsts': s.SECURE_HSTS_SECONDS, 'exempt': s.SECURE_REDIRECT_EXEMPT}))"
    )
    result = _run(["-c", script], USE_S3="1", AWS_STORAGE_BUCKET_NAME="trousse", AWS_ACCESS_KEY_ID="id", AWS_SECRET_ACCESS_KEY="secret")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    middleware = found["middleware"]
    assert middleware.index("config.csp.ContentSecurityPolicyMiddleware") == middleware.index("django.middleware.security.SecurityMiddleware") + 1
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in middleware
    assert found["static"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert found["formatter"] == {"()": "config.logging.JsonFormatter"}
    assert found["hsts"] >= 31_536_000
    assert "script-src 'self' https://js.stripe.com" in found["policy"]
    # Pictures from the bucket's own address (AWS, eu-west-3 by default).
    assert "img-src 'self' data: https://trousse.s3.eu-west-3.amazonaws.com" in found["policy"]
    # The probe of the orchestrator speaks plain HTTP: /health/ is never redirected.
    assert found["exempt"] == [r"^health/$"]
