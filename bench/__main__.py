"""`make bench`: pages per second at national scale, as ratios to a minimal Django view.

    python -m bench [--only NAME ...] [--reseed] [--list]

1. creates the PostgreSQL database BENCH_DATABASE_URL (default trousse_bench) when
   missing, migrates it and seeds it once (bench/seed.py; reused afterwards);
2. serves the app with gunicorn on a free loopback port, DEBUG off, once per
   server profile (pages cached in Redis, or no cache at all);
3. loads each page scenario with BENCH_CLIENTS keep-alive clients for BENCH_SECONDS
   (bench/load.py); in the cached profile every path is first visited from each
   client connection, so the figure is the steady state (every server process
   holds every page), not the cache filling up;
4. with a third server profile ("writes": the webhook secret, localstripe, jobs
   queued but not run), posts BENCH_WEBHOOK_EVENTS signed webhook events and
   then proves no effect was lost or doubled (bench/webhooks.py), and creates
   donations through the API against its own localstripe (bench/donations.py);
5. renders tax receipt PDFs in BENCH_RECEIPT_PROCESSES worker processes
   (bench/receipts.py);
and prints a table and writes bench/results/<timestamp>.json.

The seed (bench/seed.py: campaigns; bench/seed_donations.py: BENCH_DONATIONS
succeeded donations with their ledger rows) is written once and reused; the
write scenarios add their own donations to it at each run (reported in the JSON).

Environment: BENCH_DATABASE_URL, BENCH_REDIS_URL (db 12, emptied at each run), BENCH_CAMPAIGNS (20000),
BENCH_DONATIONS (1000000), BENCH_SECONDS (10), BENCH_WARMUP (1), BENCH_CLIENTS (16),
BENCH_PROCESSES (2), BENCH_WORKERS (3), BENCH_THREADS (4), BENCH_WEBHOOK_EVENTS
(10000), BENCH_WEBHOOK_SENDERS (8), BENCH_WEBHOOK_MAX_SECONDS (300), BENCH_DONATION_CLIENTS (8),
BENCH_DONATION_SECONDS (BENCH_SECONDS), BENCH_RECEIPTS (300 per process),
BENCH_RECEIPT_PROCESSES (2), BENCH_RESULTS_DIR (bench/results).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import secrets
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
# The bench empties this database (FLUSHDB) before each profile: not db 15, where the
# worker-crash test of `make test` keeps its broker queue, maybe at this very moment.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"


def _no_paths(seed: SeedInfo) -> list[str]:
    return []


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    # The paths requested in turn, from the seeded data; raise LookupError to skip.
    paths: Callable[[SeedInfo], list[str]] = _no_paths
    # "cached": the app as deployed (Redis cache); "uncached": every page built from the database;
    # "writes": the app with a webhook secret and a localstripe; "local": no server (receipts).
    profile: str = "cached"
    # "pages" (GET load, bench/load.py), "webhooks", "donations" or "receipts".
    kind: str = "pages"
    # Targets of issue #5: minimal throughput ratio and p95 ceiling, when set.
    min_ratio: float | None = None
    max_p95_ms: float | None = None
    # Targets of the other kinds: a minimal rate (in the row's unit) and, for receipts, the year's projection.
    min_rate: float | None = None
    max_projected_seconds: float | None = None


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
    Scenario("webhooks", "Événements Stripe appliqués (20 % de doublons, mélangés)", profile="writes", kind="webhooks", min_rate=300),
    Scenario("donations", "Création d'un don et de son PaymentIntent (API, localstripe)", profile="writes", kind="donations"),
    Scenario("receipts", "Reçus fiscaux PDF rendus par processus", profile="local", kind="receipts", max_projected_seconds=600),
]
PROFILES = ("cached", "uncached", "writes", "local")


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
    donations: int = 1_000_000
    webhook_events: int = 10_000
    webhook_senders: int = 8
    webhook_max_seconds: float = 300.0
    donation_clients: int = 8
    donation_seconds: float = 10.0
    receipts: int = 300
    receipt_processes: int = 2
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
    seconds = float(env.get("BENCH_SECONDS", "10"))
    return Options(
        database_url=env.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        redis_url=env.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL) or None,
        campaigns=int(env.get("BENCH_CAMPAIGNS", "20000")),
        seconds=seconds,
        warmup=float(env.get("BENCH_WARMUP", "1")),
        clients=int(env.get("BENCH_CLIENTS", "16")),
        processes=int(env.get("BENCH_PROCESSES", "2")),
        workers=int(env.get("BENCH_WORKERS", "3")),
        threads=int(env.get("BENCH_THREADS", "4")),
        donations=int(env.get("BENCH_DONATIONS", "1000000")),
        webhook_events=int(env.get("BENCH_WEBHOOK_EVENTS", "10000")),
        webhook_senders=int(env.get("BENCH_WEBHOOK_SENDERS", "8")),
        webhook_max_seconds=float(env.get("BENCH_WEBHOOK_MAX_SECONDS", "300")),
        donation_clients=int(env.get("BENCH_DONATION_CLIENTS", "8")),
        donation_seconds=float(env.get("BENCH_DONATION_SECONDS", str(seconds))),
        receipts=int(env.get("BENCH_RECEIPTS", "300")),
        receipt_processes=int(env.get("BENCH_RECEIPT_PROCESSES", "2")),
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
        "BENCH_CACHE": "uncached" if profile == "uncached" else "cached",
        # Jobs would run in the web process: none is triggered by a GET anyway.
        "CELERY_BROKER_URL": "memory://",
        "CACHE_KEY_PREFIX": "bench",
        "REDIS_URL": options.redis_url or "",
    }
    return env


def _writes_env(options: Options, *, webhook_secret: str, stripe_api_base: str | None) -> dict[str, str]:
    """The "writes" profile: what a web process does for a webhook or a donation, without running the jobs it queues.

    Jobs (confirmation e-mails, receipts, the optimum check) are published to
    Redis, as in production, into the bench's database where no worker reads
    them: in production a worker does them, on other cores.
    """
    env = _server_env(options, "writes")
    env.update(
        {
            "CELERY_BROKER_URL": options.redis_url or "memory://",
            "STRIPE_WEBHOOK_SECRET": webhook_secret,
            "STRIPE_SECRET_KEY": "sk_test_localstripe",
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "BENCH_NO_RATELIMIT": "1",
        }
    )
    if stripe_api_base:
        env["STRIPE_API_BASE"] = stripe_api_base
    return env


def _git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=BASE_DIR, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def _print_table(rows: list[dict]) -> None:
    header = f"{'scenario':20} {'rate':>9} {'unit':18} {'p50 ms':>8} {'p95 ms':>8} {'ratio':>6} {'errors':>7}  target / check"
    print()
    print(header)
    print("-" * len(header))
    for row in rows:
        if row.get("skipped"):
            print(f"{row['name']:20} {'skipped: ' + row['skipped']}")
            continue
        ratio = "" if row.get("ratio") is None else f"{row['ratio']:.2f}"
        p50 = "" if row.get("p50_ms") is None else f"{row['p50_ms']:.1f}"
        p95 = "" if row.get("p95_ms") is None else f"{row['p95_ms']:.1f}"
        print(
            f"{row['name']:20} {row['rate']:>9.1f} {row['unit']:18} {p50:>8} {p95:>8} {ratio:>6} {row.get('errors', 0):>7}  {row.get('target', '')}"
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
    if scenario.min_rate is not None:
        checks.append(f"≥ {scenario.min_rate:g} {row['unit']} {'ok' if row['rate'] >= scenario.min_rate else 'MISSED'}")
    if scenario.max_projected_seconds is not None:
        projected = row.get("projected_seconds_for_year")
        ok = projected is not None and projected <= scenario.max_projected_seconds
        shown = "?" if projected is None else f"{projected / 60:.1f} min"
        checks.append(f"25 000 reçus en {shown} (< {scenario.max_projected_seconds / 60:g} min) {'ok' if ok else 'MISSED'}")
    if row.get("unsent"):
        checks.append(f"{row['unsent']} événements non envoyés (limite de temps)")
    if "verification" in row:
        checks.append(f"vérification {row['verification']}")
    return ", ".join(checks)


def _run_pages(options: Options, scenarios: list[Scenario], seed_info: SeedInfo, port: int, rows: list[dict], profile: str, minimal: dict) -> None:
    from bench.load import run_load, visit_each

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
        if profile == "cached":
            # "Cached" is the steady state: every page has been asked for since the last change, through
            # as many connections as the load uses, so every server process holds it.
            # (The first visits, cold, are what the uncached profile measures.)
            primed = visit_each(host="127.0.0.1", port=port, paths=paths, clients=options.clients)
            if primed.errors:
                rows.append({**row, "skipped": f"priming the cache: {primed.error_samples[0]}"})
                continue
        if options.warmup > 0:
            run_load(host="127.0.0.1", port=port, paths=paths, clients=options.clients, seconds=options.warmup, processes=options.processes)
        print(f"  {scenario.name}: {options.clients} clients, {options.seconds:g} s…", flush=True)
        result = run_load(host="127.0.0.1", port=port, paths=paths, clients=options.clients, seconds=options.seconds, processes=options.processes)
        row.update(result.summary())
        row["rate"], row["unit"] = row["rps"], "req/s"
        row["paths"] = len(paths)
        if scenario.name == "minimal":
            minimal["rps"] = result.requests_per_second
        row["ratio"] = round(result.requests_per_second / minimal["rps"], 3) if minimal.get("rps") else None
        row["target"] = _target(scenario, row)
        rows.append(row)


def _run_writes(options: Options, scenarios: list[Scenario], rows: list[dict], stamp: str, minimal: dict) -> None:
    """Webhooks, then donations, on one gunicorn; the webhooks' effects are verified before the donations touch the same campaigns."""
    from contextlib import ExitStack

    from django.core.cache import cache
    from django.db import connections
    from django.utils import timezone

    from bench import donations, webhooks
    from bench.server import gunicorn

    wanted = {scenario.kind: scenario for scenario in scenarios}
    secret = f"whsec_bench_{secrets.token_hex(16)}"
    batch = events = None
    if "webhooks" in wanted:
        print(f"  webhooks: {options.webhook_events} pending donations…", flush=True)
        try:
            batch = webhooks.prepare_pending_donations(count=options.webhook_events, tag=stamp)
        except LookupError as error:
            rows.append({"name": "webhooks", "description": wanted.pop("webhooks").description, "profile": "writes", "skipped": str(error)})
        else:
            events = webhooks.build_events(batch, duplicate_share=0.2)
    slugs = donations.campaigns_accepting() if "donations" in wanted else []
    if not wanted:
        return
    connections.close_all()
    cache.clear()
    outcomes: dict[str, object] = {}
    with ExitStack() as stack:
        api_base = stack.enter_context(donations.localstripe()) if "donations" in wanted else None
        env = _writes_env(options, webhook_secret=secret, stripe_api_base=api_base)
        print(f"Serving with gunicorn ({options.workers} workers × {options.threads} threads, profile writes)…", flush=True)
        port = stack.enter_context(gunicorn(env=env, workers=options.workers, threads=options.threads, log_path=WORK_DIR / "gunicorn.log"))
        if batch is not None:
            print(f"  webhooks: {len(events)} events, {options.webhook_senders} senders…", flush=True)
            sent = webhooks.send_events(
                host="127.0.0.1", port=port, events=events, secret=secret, senders=options.webhook_senders, max_seconds=options.webhook_max_seconds
            )
            if sent.unsent:
                print(f"  webhooks: time limit ({options.webhook_max_seconds:g} s) reached, {sent.unsent} events not sent", flush=True)
            # Checked before the donation load, which credits the same campaigns; the server is idle meanwhile.
            print("  webhooks: verifying every effect (ledger_check included)…", flush=True)
            posted = batch.only(sent.posted_donations)
            sent_ids = {event.id for event in events[: sent.sent]}
            outcomes["webhooks"] = (sent, webhooks.verify_webhook_effects(posted, events=[e for e in events if e.id in sent_ids]))
        if "donations" in wanted and slugs:
            card = donations.card_for_tests(api_base)
            # Warm-up: each worker's first Stripe call sets up its client.
            donations.run_donation_load(host="127.0.0.1", port=port, slugs=slugs, card=card, clients=options.donation_clients, seconds=min(1.0, options.donation_seconds))
            since = timezone.now()
            print(f"  donations: {options.donation_clients} clients, {options.donation_seconds:g} s…", flush=True)
            outcomes["donations"] = (since, donations.run_donation_load(
                host="127.0.0.1", port=port, slugs=slugs, card=card, clients=options.donation_clients, seconds=options.donation_seconds
            ))
    for kind, scenario in wanted.items():
        row: dict = {"name": scenario.name, "description": scenario.description, "profile": "writes"}
        if kind == "webhooks":
            sent, problems = outcomes["webhooks"]
            row.update(webhooks.summary(sent, events=events, problems=problems))
        elif kind == "donations":
            if "donations" not in outcomes:
                rows.append({**row, "skipped": "no live campaign accepts donations"})
                continue
            since, load = outcomes["donations"]
            problems = donations.verify_created(since=since, expected=load.created)
            row.update(donations.summary(load, problems=problems))
        # Ratio to the minimal view: how far a write is from the cheapest request the stack can serve.
        row["ratio"] = round(row["rate"] / minimal["rps"], 3) if minimal.get("rps") else None
        row["target"] = _target(scenario, row)
        rows.append(row)


def _run_receipts(options: Options, scenario: Scenario, rows: list[dict]) -> None:
    from bench.receipts import run_receipt_bench

    print(f"  receipts: {options.receipts} PDF in each of {options.receipt_processes} processes…", flush=True)
    row: dict = {"name": scenario.name, "description": scenario.description, "profile": "local"}
    try:
        row.update(run_receipt_bench(count=options.receipts, processes=options.receipt_processes, settings_module="bench.settings"))
    except ImportError as error:
        rows.append({**row, "skipped": f"no receipt renderer yet ({error})"})
        return
    row["target"] = _target(scenario, row)
    rows.append(row)


def main(argv: list[str] | None = None) -> int:
    options = _options(sys.argv[1:] if argv is None else argv)
    # Other processes on the machine skew every figure: the report says how busy it was.
    load_before = os.getloadavg()[0]
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
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

    from bench.seed_donations import seed_donations

    call_command("migrate", interactive=False, verbosity=0)
    print(f"Seeding {options.campaigns} campaigns and {options.donations} donations (once; reused afterwards)…", flush=True)
    seed_info = seeding.seed(campaigns=options.campaigns, media_root=WORK_DIR / "media")
    print(f"  {seed_info.campaigns} campaigns {'seeded' if seed_info.created else 'already there'} in {seed_info.seconds:.1f} s", flush=True)
    donation_seed = seed_donations(donations=options.donations)
    print(
        f"  {donation_seed.donations} donations over {donation_seed.campaigns_with_donations} live campaigns "
        f"{'seeded' if donation_seed.created else 'already there'}{f' in {donation_seed.seconds:.1f} s' if donation_seed.created else ''}",
        flush=True,
    )
    with connection.cursor() as cursor:
        # Every run's write scenarios leave dead row versions behind (a webhook updates its
        # campaign's row): production's autovacuum clears them within minutes, so the pages
        # are measured from that state, not from the debris of the previous run.
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("SHOW server_version")
        postgres_version = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM payments_donation")
        donations_in_database = cursor.fetchone()[0]
    connections.close_all()

    from bench.server import gunicorn

    selected = [s for s in SCENARIOS if not options.only or s.name in options.only or s.name == "minimal"]
    rows: list[dict] = []
    minimal: dict = {}
    for profile in ("cached", "uncached"):
        scenarios = [s for s in selected if s.profile == profile]
        if not scenarios:
            continue
        # Each run starts from an empty page cache, then primes it (see _run_pages).
        cache.clear()
        print(f"Serving with gunicorn ({options.workers} workers × {options.threads} threads, profile {profile})…", flush=True)
        with gunicorn(env=_server_env(options, profile), workers=options.workers, threads=options.threads, log_path=WORK_DIR / "gunicorn.log") as port:
            _run_pages(options, scenarios, seed_info, port, rows, profile, minimal)
    writes = [s for s in selected if s.profile == "writes"]
    if writes:
        _run_writes(options, writes, rows, stamp, minimal)
    for scenario in (s for s in selected if s.kind == "receipts"):
        _run_receipts(options, scenario, rows)

    _print_table(rows)
    load_after = os.getloadavg()[0]
    print(f"Machine load average: {load_before:.2f} before, {load_after:.2f} after ({os.cpu_count()} CPUs).")
    report = {
        "timestamp": stamp,
        "git_commit": _git_commit(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(), "django": django.get_version(), "postgresql": postgres_version,
                    "load_average_before": round(load_before, 2), "load_average_after": round(load_after, 2),
                    # BENCH_NOTE: what else ran on the machine, in the words of whoever ran the bench.
                    **({"note": os.environ["BENCH_NOTE"]} if os.environ.get("BENCH_NOTE") else {})},
        "settings": {
            "clients": options.clients,
            "seconds": options.seconds,
            "warmup_seconds": options.warmup,
            "load_processes": options.processes,
            "gunicorn": {"worker_class": "gthread", "workers": options.workers, "threads": options.threads},
            "cache": "redis" if options.redis_url else "locmem per worker",
            "webhooks": {"events": options.webhook_events, "duplicate_share": 0.2, "senders": options.webhook_senders, "max_seconds": options.webhook_max_seconds,
                         "jobs": "queued in memory, not run"},
            "donations": {"clients": options.donation_clients, "seconds": options.donation_seconds, "stripe": "localstripe on loopback"},
            "receipts": {"per_process": options.receipts, "processes": options.receipt_processes},
        },
        "data": {
            "campaigns": seed_info.campaigns,
            "seeded_donations": donation_seed.donations,
            "donations_in_database": donations_in_database,
            "listing_filter": {"departement": seed_info.listing_department, "theme": seed_info.listing_theme},
        },
        "scenarios": rows,
    }
    path = RESULTS_DIR / f"{stamp}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"Results written to {path}")
    failed = [row["name"] for row in rows if row.get("errors")]
    if failed:
        print(f"Errors in: {', '.join(failed)} (see {WORK_DIR.relative_to(BASE_DIR)}/gunicorn.log)")
    unverified = [row["name"] for row in rows if row.get("verification") == "FAILED"]
    if unverified:
        for row in rows:
            for problem in row.get("problems", []):
                print(f"  {row['name']}: {problem}")
        print(f"Verification FAILED in: {', '.join(unverified)}")
        # A lost or doubled effect is a bug, not a slow figure: make bench fails.
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
