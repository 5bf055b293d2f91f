"""`make bench`: pages per second at national scale, as ratios to a minimal Django view.

    python -m bench [--only NAME ...] [--reseed] [--list]

1. creates the PostgreSQL database BENCH_DATABASE_URL (default trousse_bench) when
   missing, migrates it and seeds it once (bench/seed.py; reused afterwards);
2. serves the app with gunicorn on a free loopback port, DEBUG off, once per
   server profile (pages cached in Redis, or no cache at all);
3. loads each scenario with BENCH_CLIENTS keep-alive clients for BENCH_SECONDS
   (bench/load.py), prints a table and writes bench/results/<timestamp>.json.

Later work adds scenarios (donations, webhooks, receipts) to SCENARIOS.
Environment: BENCH_DATABASE_URL, BENCH_REDIS_URL, BENCH_CAMPAIGNS (20000),
BENCH_SECONDS (10), BENCH_WARMUP (1), BENCH_CLIENTS (16), BENCH_PROCESSES (2),
BENCH_WORKERS (3), BENCH_THREADS (4), BENCH_RESULTS_DIR (bench/results).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from bench.seed import DEFAULT_DATABASE_URL, SeedInfo

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(os.environ.get("BENCH_RESULTS_DIR", BASE_DIR / "bench" / "results"))
WORK_DIR = BASE_DIR / "var" / "bench"
MINIMAL_PATH = "/bench/minimal/"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    # The paths requested in turn, from the seeded data; raise LookupError to skip.
    paths: Callable[[SeedInfo], list[str]]
    # "cached": the app as deployed (Redis cache); "uncached": every page built from the database.
    profile: str = "cached"
    # Targets of issue #5: minimal throughput ratio and p95 ceiling, when set.
    min_ratio: float | None = None
    max_p95_ms: float | None = None


def _reverse(name: str, **kwargs) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch as error:
        raise LookupError(f"no URL named {name!r} yet") from error


def _listing(seed: SeedInfo) -> list[str]:
    # The home page's filter form names its fields "departement" and "theme" (frontend/forms.py).
    return [f"{_reverse('home')}?departement={seed.listing_department}&theme={seed.listing_theme}"]


def _campaign_pages(seed: SeedInfo) -> list[str]:
    if not seed.live_slugs:
        raise LookupError("no live campaign seeded")
    return [_reverse("campaign_detail", slug=slug) for slug in seed.live_slugs]


SCENARIOS: list[Scenario] = [
    Scenario("minimal", "Vue Django minimale (référence)", lambda seed: [MINIMAL_PATH]),
    Scenario("home", "Page d'accueil", lambda seed: [_reverse("home")]),
    Scenario("listing", "Liste filtrée (département + thème)", _listing),
    Scenario("campaign", "Page d'un projet", _campaign_pages, min_ratio=0.5, max_p95_ms=50),
    Scenario("home_uncached", "Page d'accueil, sans cache", lambda seed: [_reverse("home")], profile="uncached"),
    Scenario("listing_uncached", "Liste filtrée, sans cache", _listing, profile="uncached"),
    Scenario("campaign_uncached", "Page d'un projet, sans cache", _campaign_pages, profile="uncached", min_ratio=0.2, max_p95_ms=50),
]


@dataclass
class Options:
    database_url: str
    redis_url: str | None
    campaigns: int
    seconds: float
    warmup: float
    clients: int
    processes: int
    workers: int
    threads: int
    only: list[str] = field(default_factory=list)
    reseed: bool = False


def _options(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", default=[], metavar="NAME", help="run only these scenarios (the minimal view always runs)")
    parser.add_argument("--reseed", action="store_true", help="drop and recreate the bench database first")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    args = parser.parse_args(argv)
    if args.list:
        for scenario in SCENARIOS:
            print(f"{scenario.name:20} {scenario.profile:9} {scenario.description}")
        raise SystemExit(0)
    unknown = set(args.only) - {s.name for s in SCENARIOS}
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    env = os.environ
    return Options(
        database_url=env.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        redis_url=env.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL) or None,
        campaigns=int(env.get("BENCH_CAMPAIGNS", "20000")),
        seconds=float(env.get("BENCH_SECONDS", "10")),
        warmup=float(env.get("BENCH_WARMUP", "1")),
        clients=int(env.get("BENCH_CLIENTS", "16")),
        processes=int(env.get("BENCH_PROCESSES", "2")),
        workers=int(env.get("BENCH_WORKERS", "3")),
        threads=int(env.get("BENCH_THREADS", "4")),
        only=args.only,
        reseed=args.reseed,
    )


def _redis_answers(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001 - any failure means: bench without Redis
        return False


def _server_env(options: Options, profile: str) -> dict[str, str]:
    env = {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "0",
        "DATABASE_URL": options.database_url,
        "MEDIA_ROOT": str(WORK_DIR / "media"),
        "BENCH_CACHE": profile,
        # Jobs would run in the web process: none is triggered by a GET anyway.
        "CELERY_BROKER_URL": "memory://",
        "CACHE_KEY_PREFIX": "bench",
        "REDIS_URL": options.redis_url or "",
    }
    return env


def _git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=BASE_DIR, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def _print_table(rows: list[dict]) -> None:
    header = f"{'scenario':20} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'ratio':>6} {'errors':>7}  target"
    print()
    print(header)
    print("-" * len(header))
    for row in rows:
        if row.get("skipped"):
            print(f"{row['name']:20} {'skipped: ' + row['skipped']}")
            continue
        ratio = "" if row["ratio"] is None else f"{row['ratio']:.2f}"
        print(
            f"{row['name']:20} {row['rps']:>9.1f} {row['p50_ms'] or 0:>8.1f} {row['p95_ms'] or 0:>8.1f} {ratio:>6} {row['errors']:>7}  {row.get('target', '')}"
        )
    print()


def _target(scenario: Scenario, row: dict) -> str:
    checks = []
    if scenario.min_ratio is not None:
        ok = row["ratio"] is not None and row["ratio"] >= scenario.min_ratio
        checks.append(f"ratio ≥ {scenario.min_ratio} {'ok' if ok else 'MISSED'}")
    if scenario.max_p95_ms is not None:
        ok = row["p95_ms"] is not None and row["p95_ms"] < scenario.max_p95_ms
        checks.append(f"p95 < {scenario.max_p95_ms:g} ms {'ok' if ok else 'MISSED'}")
    return ", ".join(checks)


def main(argv: list[str] | None = None) -> int:
    options = _options(sys.argv[1:] if argv is None else argv)
    # Other processes on the machine skew every figure: the report says how busy it was.
    load_before = os.getloadavg()[0]
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    if options.redis_url and not _redis_answers(options.redis_url):
        print(f"Redis does not answer at {options.redis_url}: pages are cached in each worker's memory.")
        options.redis_url = None

    from bench import seed as seeding

    if options.reseed:
        seeding.drop_database(options.database_url)
    if seeding.ensure_database(options.database_url):
        print(f"Created the database {options.database_url}")

    # This process shares the server's settings, to migrate, seed and reverse URLs.
    os.environ.update(_server_env(options, "cached"))
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection, connections

    call_command("migrate", interactive=False, verbosity=0)
    print(f"Seeding {options.campaigns} campaigns (once; reused afterwards)…", flush=True)
    seed_info = seeding.seed(campaigns=options.campaigns, media_root=WORK_DIR / "media")
    print(f"  {seed_info.campaigns} campaigns {'seeded' if seed_info.created else 'already there'} in {seed_info.seconds:.1f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres_version = cursor.fetchone()[0]
    connections.close_all()

    from bench.load import run_load
    from bench.server import gunicorn

    selected = [s for s in SCENARIOS if not options.only or s.name in options.only or s.name == "minimal"]
    rows: list[dict] = []
    minimal_rps: float | None = None
    for profile in ("cached", "uncached"):
        scenarios = [s for s in selected if s.profile == profile]
        if not scenarios:
            continue
        # Each run starts from an empty page cache: "cached" figures are the cache warming up under load.
        cache.clear()
        print(f"Serving with gunicorn ({options.workers} workers × {options.threads} threads, profile {profile})…", flush=True)
        with gunicorn(env=_server_env(options, profile), workers=options.workers, threads=options.threads, log_path=WORK_DIR / "gunicorn.log") as port:
            for scenario in scenarios:
                row: dict = {"name": scenario.name, "description": scenario.description, "profile": profile}
                try:
                    paths = scenario.paths(seed_info)
                except LookupError as error:
                    rows.append({**row, "skipped": str(error)})
                    continue
                probe = run_load(host="127.0.0.1", port=port, paths=paths[:1], clients=1, seconds=0.2, processes=1)
                if probe.errors:
                    rows.append({**row, "skipped": f"{paths[0]} answers {probe.error_samples[0]}"})
                    continue
                if options.warmup > 0:
                    run_load(host="127.0.0.1", port=port, paths=paths, clients=options.clients, seconds=options.warmup, processes=options.processes)
                print(f"  {scenario.name}: {options.clients} clients, {options.seconds:g} s…", flush=True)
                result = run_load(host="127.0.0.1", port=port, paths=paths, clients=options.clients, seconds=options.seconds, processes=options.processes)
                row.update(result.summary())
                row["paths"] = len(paths)
                if scenario.name == "minimal":
                    minimal_rps = result.requests_per_second
                row["ratio"] = round(result.requests_per_second / minimal_rps, 3) if minimal_rps else None
                row["target"] = _target(scenario, row)
                rows.append(row)

    _print_table(rows)
    print(f"Machine load average: {load_before:.2f} before, {os.getloadavg()[0]:.2f} after ({os.cpu_count()} CPUs).")
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    report = {
        "timestamp": stamp,
        "git_commit": _git_commit(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(), "django": django.get_version(), "postgresql": postgres_version,
                    "load_average_before": round(load_before, 2), "load_average_after": round(os.getloadavg()[0], 2)},
        "settings": {
            "clients": options.clients,
            "seconds": options.seconds,
            "warmup_seconds": options.warmup,
            "load_processes": options.processes,
            "gunicorn": {"worker_class": "gthread", "workers": options.workers, "threads": options.threads},
            "cache": "redis" if options.redis_url else "locmem per worker",
        },
        "data": {"campaigns": seed_info.campaigns, "listing_filter": {"departement": seed_info.listing_department, "theme": seed_info.listing_theme}},
        "scenarios": rows,
    }
    path = RESULTS_DIR / f"{stamp}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"Results written to {path}")
    failed = [row["name"] for row in rows if row.get("errors")]
    if failed:
        print(f"Errors in: {', '.join(failed)} (see {WORK_DIR.relative_to(BASE_DIR)}/gunicorn.log)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
