"""Donations created per second through the API, each with its PaymentIntent on localstripe.

    POST /api/v1/donations/ {campaign, amount_cents, card_payment_method, first_name, ...}

is what the donation form's JavaScript calls: the row is written, the
PaymentIntent created and confirmed against Stripe (here a localstripe started
on a free loopback port), and its answer applied — a 4242 card succeeds at
once, so each request also credits the ledger and the campaign. Keep-alive
clients post in a closed loop for a fixed time; p50/p95 are per request.

localstripe is one single-threaded Python process: above a few dozen
requests per second it, not the app, is the limit (the JSON says so).
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field

from bench.load import LOOPBACK, REQUEST_TIMEOUT_SECONDS, percentile

DONATION_API_PATH = "/api/v1/donations/"
AMOUNT_CENTS = 500


@dataclass
class DonationLoad:
    requests: int = 0
    created: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)


@contextmanager
def localstripe():
    """A localstripe of our own on a free loopback port, stopped at the end; yields its base URL."""
    from trousse.payments import localstripe_server

    port = localstripe_server.free_port()
    # No state file: nothing to keep between runs, and no pickling after every request.
    process = localstripe_server.start_subprocess(port=port, state_file=None)
    try:
        yield localstripe_server.base_url(port)
    finally:
        localstripe_server.stop_subprocess(process)


def card_for_tests(api_base: str, number: str = "4242424242424242") -> str:
    """What Stripe.js's createToken gives the page: a card id the server passes as payment_method."""
    body = urllib.parse.urlencode(
        {"card[number]": number, "card[exp_month]": "12", "card[exp_year]": "2034", "card[cvc]": "123", "key": "pk_test_localstripe"}
    ).encode()
    with urllib.request.urlopen(urllib.request.Request(f"{api_base}/v1/tokens", data=body, method="POST"), timeout=10) as response:
        return json.loads(response.read())["card"]["id"]


def campaigns_accepting(count: int = 200) -> list[str]:
    """Slugs of live campaigns with the most left to collect (the API refuses a gift above the optimum)."""
    from django.db.models import F

    from trousse.campaigns.models import Campaign, Status

    return list(
        Campaign.objects.filter(status=Status.LIVE)
        .annotate(left=F("optimum_goal_cents") - F("raised_cents"))
        .filter(left__gte=AMOUNT_CENTS * 100)
        .order_by("-left", "pk")
        .values_list("slug", flat=True)[:count]
    )


def _client(host: str, port: int, slugs: list[str], card: str, offset: int, deadline: float, total: DonationLoad, lock: threading.Lock) -> None:
    local = DonationLoad()
    connection = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT_SECONDS)
    n = offset
    while time.monotonic() < deadline:
        n += 1
        body = json.dumps(
            {
                "campaign": slugs[n % len(slugs)],
                "amount_cents": AMOUNT_CENTS,
                "method": "card",
                "card_payment_method": card,
                "first_name": "Claude",
                "last_name": f"Bench {n}",
                "email": f"don-{n}@exemple.fr",
                "public_message": "Bravo la classe !" if n % 3 == 0 else "",
            }
        ).encode()
        started = time.perf_counter()
        try:
            connection.request("POST", DONATION_API_PATH, body=body, headers={"Content-Type": "application/json", "Accept-Language": "fr"})
            response = connection.getresponse()
            answer = response.read()
            if response.will_close:
                connection.close()
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            connection = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT_SECONDS)
            local.requests += 1
            local.errors += 1
            if len(local.error_samples) < 5:
                local.error_samples.append(type(error).__name__)
            continue
        local.requests += 1
        local.latencies_ms.append((time.perf_counter() - started) * 1000)
        status = json.loads(answer).get("status") if response.status == 201 else None
        if response.status == 201 and status == "succeeded":
            local.created += 1
        else:
            local.errors += 1
            if len(local.error_samples) < 5:
                local.error_samples.append(f"HTTP {response.status} {status or answer[:160]!r}")
    connection.close()
    with lock:
        total.requests += local.requests
        total.created += local.created
        total.errors += local.errors
        total.latencies_ms.extend(local.latencies_ms)
        total.error_samples.extend(local.error_samples[: max(0, 5 - len(total.error_samples))])


def run_donation_load(*, host: str, port: int, slugs: list[str], card: str, clients: int, seconds: float) -> DonationLoad:
    if host not in LOOPBACK:
        raise ValueError(f"The bench only posts to the loopback interface, not {host!r}.")
    if not slugs:
        raise LookupError("no live campaign accepts donations")
    total = DonationLoad()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=_client, args=(host, port, slugs, card, n * 100_000, deadline, total, lock), daemon=True) for n in range(max(1, clients))]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + REQUEST_TIMEOUT_SECONDS + 5)
    total.seconds = time.monotonic() - started
    return total


def verify_created(*, since, expected: int) -> list[str]:
    """The donations the API said succeeded are in the database, succeeded, each with its PaymentIntent and one ledger transaction."""
    from trousse.ledger.models import LedgerTransaction, TransactionKind
    from trousse.payments.models import Donation, DonationStatus

    created = Donation.objects.filter(created_at__gte=since, last_name__startswith="Bench ", email__startswith="don-")
    problems = []
    succeeded = created.filter(status=DonationStatus.SUCCEEDED, stripe_payment_intent_id__isnull=False).count()
    if succeeded != expected:
        problems.append(f"the API answered {expected} succeeded donations, the database holds {succeeded}")
    references = [f"donation:{pk}" for pk in created.filter(status=DonationStatus.SUCCEEDED).values_list("pk", flat=True)]
    in_ledger = LedgerTransaction.objects.filter(reference__in=references, kind=TransactionKind.DONATION).count()
    if in_ledger != len(references):
        problems.append(f"{len(references)} succeeded donations, {in_ledger} ledger transactions")
    return problems


def summary(load: DonationLoad, *, problems: list[str]) -> dict:
    ok = load.created
    return {
        "requests": load.requests,
        "created": ok,
        "errors": load.errors,
        "seconds": round(load.seconds, 3),
        "rate": round(ok / load.seconds, 1) if load.seconds else 0.0,
        "unit": "donations/s",
        "p50_ms": _round(percentile(load.latencies_ms, 50)),
        "p95_ms": _round(percentile(load.latencies_ms, 95)),
        "p99_ms": _round(percentile(load.latencies_ms, 99)),
        "error_samples": load.error_samples,
        "verification": "ok" if not problems else "FAILED",
        "problems": problems[:10],
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
