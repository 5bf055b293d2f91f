"""docker-compose.yml and .env.example, checked without a Docker engine.

No engine runs on these machines: the file is parsed as YAML and held to the
Compose Specification's structural rules that matter for La Trousse (every
service the app needs, with a healthcheck; start order by health; named
volumes; every variable the app reads documented in .env.example).
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
APP_SERVICES = ("web", "worker", "beat", "migrate")
DEPENDS_ON_CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
HEALTHCHECK_KEYS = {"test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"}
# Set by the image or the container runtime itself, not by the operator.
RUNTIME_VARIABLES = {"DJANGO_SETTINGS_MODULE", "HOSTNAME", "RUN_MAIN"}  # RUN_MAIN: set by Django's autoreloader


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def documented() -> set[str]:
    """Variables of .env.example, set (NAME=) or shown commented out (# NAME=)."""
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), flags=re.MULTILINE))


def _variables_read_by_the_app() -> set[str]:
    pattern = re.compile(r"""(?:\benv(?:\.\w+)?|os\.environ\.get|os\.getenv|os\.environ\.setdefault|os\.environ\[)\(?\s*["']([A-Z][A-Z0-9_]*)["']""")
    found = set()
    for folder in ("config", "trousse", "frontend"):
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" not in path.parts:
                found |= set(pattern.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_service_the_app_needs_is_there(compose):
    services = compose["services"]
    for name in ("postgres", "redis", "minio", "web", "worker", "beat", "localstripe", "migrate"):
        assert name in services, f"docker-compose.yml has no {name} service"
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert services["minio"]["image"].startswith("minio/minio")
    assert "gunicorn" in " ".join(_command(services["web"]))
    assert "worker" in _command(services["worker"]) and "celery" in " ".join(_command(services["worker"]))
    assert "beat" in _command(services["beat"])


def _command(service: dict) -> list[str]:
    command = service.get("command", [])
    return command.split() if isinstance(command, str) else [word for part in command for word in part.split()]


def test_long_running_services_have_a_healthcheck(compose):
    for name, service in compose["services"].items():
        if service.get("restart") == "no":
            continue  # one-shot jobs (migrate, createbucket) have no health, they complete
        healthcheck = service.get("healthcheck")
        assert healthcheck, f"{name} has no healthcheck"
        assert not healthcheck.get("disable"), f"{name}'s healthcheck is disabled"
        assert set(healthcheck) <= HEALTHCHECK_KEYS, f"{name}: unknown healthcheck keys {set(healthcheck) - HEALTHCHECK_KEYS}"
        test = healthcheck["test"]
        assert isinstance(test, list) and test[0] in ("CMD", "CMD-SHELL") and len(test) > 1, f"{name}: healthcheck test must be CMD or CMD-SHELL"


def test_web_healthcheck_uses_the_health_endpoint(compose):
    assert "/health/" in " ".join(compose["services"]["web"]["healthcheck"]["test"])


def test_start_order_waits_for_health_and_migrations(compose):
    services = compose["services"]
    for name, service in services.items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: depends_on must be the long form, with conditions"
        for dependency, rule in depends_on.items():
            assert dependency in services, f"{name} depends on a missing service {dependency}"
            assert rule["condition"] in DEPENDS_ON_CONDITIONS, f"{name}: unknown condition {rule['condition']}"
            if rule["condition"] == "service_healthy":
                assert services[dependency].get("healthcheck"), f"{name} waits for {dependency} to be healthy, which has no healthcheck"
            if rule["condition"] == "service_completed_successfully":
                assert services[dependency].get("restart") == "no", f"{dependency} must be a one-shot job"
    for name in ("web", "worker", "beat"):
        depends_on = services[name]["depends_on"]
        for dependency in ("postgres", "redis", "minio"):
            assert depends_on[dependency]["condition"] == "service_healthy", f"{name} must wait for a healthy {dependency}"
        assert depends_on["migrate"]["condition"] == "service_completed_successfully"
        # Optional: with real Stripe keys the localstripe profile is off.
        assert depends_on["localstripe"].get("required") is False


def test_localstripe_only_runs_without_stripe_keys(compose, documented):
    assert compose["services"]["localstripe"]["profiles"] == ["localstripe"]
    assert "COMPOSE_PROFILES" in documented


def test_state_lives_in_declared_named_volumes(compose):
    declared = set(compose.get("volumes") or {})
    used = set()
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source")
            if source and not source.startswith((".", "/", "~")):
                used.add(source)
    assert used <= declared, f"undeclared named volumes: {used - declared}"
    assert {"pgdata", "redisdata", "miniodata"} <= used
    # The web and worker processes hold no state: they scale by replicas.
    for name in ("web", "worker"):
        assert not compose["services"][name].get("volumes"), f"{name} must stay stateless"
        assert "container_name" not in compose["services"][name], f"{name} could not scale with a fixed container name"


def test_app_services_run_production_settings_on_the_compose_services(compose):
    for name in APP_SERVICES:
        environment = compose["services"][name]["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
        assert "@postgres:5432/" in environment["DATABASE_URL"]
        assert environment["CELERY_BROKER_URL"].startswith("redis://redis:")
        assert environment["CELERY_TASK_ALWAYS_EAGER"] == "0"
        assert [entry["path"] for entry in compose["services"][name]["env_file"]] == [".env"]


def test_only_one_beat(compose):
    beat = compose["services"]["beat"]
    assert beat.get("deploy", {}).get("replicas", 1) == 1


def test_every_variable_the_app_reads_is_in_env_example(documented):
    read = _variables_read_by_the_app() - RUNTIME_VARIABLES
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "STRIPE_SECRET_KEY"} <= read  # the scan itself works
    missing = read - documented
    assert not missing, f"read by the app but not in .env.example: {sorted(missing)}"


def test_every_variable_compose_interpolates_is_in_env_example(compose, documented):
    text = COMPOSE.read_text()
    # ${NAME...} is filled in by compose from .env; $${NAME} is left to the container's shell.
    interpolated = set(re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)", text))
    assert interpolated, "the scan found nothing"
    assert interpolated <= documented, f"not in .env.example: {sorted(interpolated - documented)}"
    shell = set(re.findall(r"\$\$\{?([A-Z][A-Z0-9_]*)", text)) - RUNTIME_VARIABLES
    set_by_compose = {key for service in compose["services"].values() for key in (service.get("environment") or {})}
    assert shell <= documented | set_by_compose, f"not set anywhere: {sorted(shell - documented - set_by_compose)}"


def test_env_example_leaves_the_secret_key_empty(documented):
    # An example key would be copied to production as is: production.py refuses an empty one.
    assert re.search(r"^DJANGO_SECRET_KEY=\s*$", ENV_EXAMPLE.read_text(), flags=re.MULTILINE)


def test_dockerfile_builds_the_production_image():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "FROM python:3.12-slim" in dockerfile
    assert "pip install" in dockerfile and "collectstatic" in dockerfile and "gunicorn" in dockerfile
    assert re.search(r"^USER (?!root)", dockerfile, flags=re.MULTILINE), "the image must not run as root"
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignored and ".git" in ignored, "secrets and history stay out of the build context"


def _compose_v2_binary() -> str | None:
    """A Compose v2 command line, or None.

    Debian's docker-compose package is Compose v1 (1.29), which predates
    `depends_on: {required: false}`: the file needs it, so the app starts without
    localstripe when real Stripe keys are given. The JSON schema tests above hold
    on every machine; this one runs where a v2 binary is installed.
    """
    binary = shutil.which("docker-compose") or shutil.which("podman-compose")
    if binary is None:
        return None
    version = subprocess.run([binary, "version", "--short"], capture_output=True, text=True, timeout=30).stdout.strip().lstrip("v")
    return binary if version.split(".")[0].isdigit() and int(version.split(".")[0]) >= 2 else None


def test_compose_binary_accepts_the_file(tmp_path):
    binary = _compose_v2_binary()
    if binary is None:
        pytest.skip("no Compose v2 binary on this machine (Debian's docker-compose is v1, older than this file's format)")
    env_file = tmp_path / ".env"
    env_file.write_text(ENV_EXAMPLE.read_text().replace("DJANGO_SECRET_KEY=", "DJANGO_SECRET_KEY=" + "x1y2z3" * 10))
    result = subprocess.run(
        [binary, "--project-directory", str(ROOT), "--env-file", str(env_file), "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
