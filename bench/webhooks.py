"""Webhook events applied per second, and the proof that none was lost or applied twice.

    batch = prepare_pending_donations(count=10_000, tag="20260101T120000Z")
    events = build_events(batch, duplicate_share=0.2, seed=1)
    result = send_events(host="127.0.0.1", port=port, events=events, secret=secret, senders=8)
    problems = verify_webhook_effects(batch)   # [] when every donation succeeded exactly once

Each pending donation gets one `payment_intent.succeeded`; 20 % more events are
duplicates — mostly the same event delivered again (Stripe retries), some a
second event id for the same PaymentIntent (the return page or reconciliation
saying it again). All are shuffled and posted, signed with Stripe's scheme
(trousse.payments.gateway.sign_payload), by keep-alive senders in threads.
Like Stripe, a sender delivers again after a 5xx or a broken connection (at
most MAX_ATTEMPTS times): those retries are counted, and an event still failing
after them is an error.

Everything runs against whatever database Django is connected to: the bench
database in `make bench`, the test database (with pytest-django's live_server)
in tests/deploy/test_bench.py.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from bench.load import LOOPBACK, REQUEST_TIMEOUT_SECONDS, percentile

WEBHOOK_PATH = "/payments/stripe/webhook/"
MAX_ATTEMPTS = 3
# Amounts of the benchmark's donations, in cents (the platform's minimum is 500).
AMOUNTS_CENTS = (500, 1000, 1500, 2000, 3000, 5000)


@dataclass
class WebhookBatch:
    tag: str
    # donation id -> (payment intent id, campaign id, amount in cents)
    donations: dict[int, tuple[str, int, int]]
    # Each touched campaign's raised_cents before any event: after, it must be higher by exactly its donations.
    raised_before: dict[int, int]

    def only(self, donation_ids: set[int]) -> WebhookBatch:
        """The part of the batch whose events were posted (a run cut short by its time limit leaves the rest pending)."""
        donations = {pk: value for pk, value in self.donations.items() if pk in donation_ids}
        touched = {campaign_id for _pi, campaign_id, _amount in donations.values()}
        return WebhookBatch(tag=self.tag, donations=donations, raised_before={pk: v for pk, v in self.raised_before.items() if pk in touched})

    def expected_raise(self) -> dict[int, int]:
        expected: dict[int, int] = defaultdict(int)
        for _pi, campaign_id, amount in self.donations.values():
            expected[campaign_id] += amount
        return dict(expected)


@dataclass(frozen=True)
class Event:
    id: str
    body: bytes
    donation_id: int


@dataclass
class SendResult:
    sent: int = 0
    errors: int = 0
    retries: int = 0
    duplicates_reported: int = 0
    # Events left unsent when the time limit came (0 when the whole list went out).
    unsent: int = 0
    posted_donations: set[int] = field(default_factory=set)
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)

    @property
    def events_per_second(self) -> float:
        return (self.sent - self.errors) / self.seconds if self.seconds else 0.0


def prepare_pending_donations(*, count: int, tag: str, campaign_ids: list[int] | None = None, seed: int = 7) -> WebhookBatch:
    """`count` pending donations with their PaymentIntent ids, spread over live campaigns (as a webhook finds them).

    Only campaigns below their optimum: one past it is ended by a job within seconds in
    production, but no worker runs here, so every gift to it would publish that job again.
    """
    from django.db.models import F

    from trousse.campaigns.models import Campaign, Status
    from trousse.payments.models import Donation, DonationStatus, PaymentMethod

    rng = random.Random(seed)
    if campaign_ids is None:
        below_optimum = Campaign.objects.filter(status=Status.LIVE, raised_cents__lt=F("optimum_goal_cents"))
        campaign_ids = list(below_optimum.order_by("pk").values_list("pk", flat=True))
    if not campaign_ids:
        raise LookupError("no live campaign below its optimum to donate to")
    rows = []
    for n in range(count):
        rows.append(
            Donation(
                campaign_id=rng.choice(campaign_ids),
                amount_cents=rng.choice(AMOUNTS_CENTS),
                method=PaymentMethod.CARD,
                status=DonationStatus.PENDING,
                first_name="Dominique",
                last_name=f"Webhook {n}",
                email=f"webhook-{n % 5000}@exemple.fr",
                # No tax receipt: this measures the webhook's own work, not PDF rendering.
                wants_tax_receipt=False,
                stripe_payment_intent_id=f"pi_bench_{tag}_{n}",
            )
        )
    created = Donation.objects.bulk_create(rows, batch_size=2000)
    donations = {d.pk: (d.stripe_payment_intent_id, d.campaign_id, d.amount_cents) for d in created}
    touched = {campaign_id for _pi, campaign_id, _amount in donations.values()}
    raised_before = dict(Campaign.objects.filter(pk__in=touched).values_list("pk", "raised_cents"))
    return WebhookBatch(tag=tag, donations=donations, raised_before=raised_before)


def _succeeded_event(event_id: str, donation_id: int, intent_id: str, campaign_id: int, amount: int, created: int) -> bytes:
    """A payment_intent.succeeded as Stripe sends it (the fields our handler reads, and a few it does not)."""
    payload = {
        "id": event_id,
        "object": "event",
        "api_version": "2025-03-31.basil",
        "created": created,
        "livemode": False,
        "pending_webhooks": 1,
        "type": "payment_intent.succeeded",
        "data": {
            "object": {
                "id": intent_id,
                "object": "payment_intent",
                "amount": amount,
                "amount_received": amount,
                "currency": "eur",
                "status": "succeeded",
                "client_secret": f"{intent_id}_secret_bench",
                "latest_charge": f"ch_{intent_id[3:]}",
                "last_payment_error": None,
                "payment_method_types": ["card"],
                "metadata": {"donation_id": str(donation_id), "campaign_id": str(campaign_id)},
                "created": created,
            }
        },
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def build_events(batch: WebhookBatch, *, duplicate_share: float = 0.2, seed: int = 1) -> list[Event]:
    """One succeeded event per donation plus `duplicate_share` duplicates, shuffled."""
    rng = random.Random(seed)
    created = int(time.time())
    events = []
    for donation_id, (intent_id, campaign_id, amount) in batch.donations.items():
        event_id = f"evt_bench_{batch.tag}_{donation_id}"
        events.append(Event(event_id, _succeeded_event(event_id, donation_id, intent_id, campaign_id, amount, created), donation_id))
    originals = list(events)
    for n in range(round(len(originals) * duplicate_share)):
        original = rng.choice(originals)
        if n % 4 == 3:
            # Another event saying the same thing: the event store lets it through, the donation's state must not.
            event_id = f"{original.id}_again{n}"
            intent_id, campaign_id, amount = batch.donations[original.donation_id]
            events.append(Event(event_id, _succeeded_event(event_id, original.donation_id, intent_id, campaign_id, amount, created), original.donation_id))
        else:
            events.append(original)
    rng.shuffle(events)
    return events


def _sender(host: str, port: int, events: list[Event], cursor: list[int], lock: threading.Lock, secret: str, result: SendResult, deadline: float) -> None:
    from trousse.payments.gateway import sign_payload

    local = SendResult()
    connection = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT_SECONDS)
    while time.monotonic() < deadline:
        with lock:
            index = cursor[0]
            cursor[0] += 1
        if index >= len(events):
            break
        event = events[index]
        local.sent += 1
        local.posted_donations.add(event.donation_id)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            started = time.perf_counter()
            final = attempt >= MAX_ATTEMPTS
            try:
                # Signed at delivery time, as Stripe does: the signature's timestamp is checked for freshness.
                headers = {"Content-Type": "application/json", "Stripe-Signature": sign_payload(event.body, secret=secret)}
                connection.request("POST", WEBHOOK_PATH, body=event.body, headers=headers)
                response = connection.getresponse()
                answer = response.read()
                if response.will_close:
                    connection.close()
                if response.status == 200:
                    local.latencies_ms.append((time.perf_counter() - started) * 1000)
                    if b'"duplicate": true' in answer or b'"duplicate":true' in answer:
                        local.duplicates_reported += 1
                    break
                problem = f"HTTP {response.status} {event.id}: {answer[:120]!r}"
                # A 4xx is final: delivering the same bytes again cannot fix it.
                final = final or response.status < 500
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT_SECONDS)
                problem = f"{type(error).__name__} {event.id}"
            if len(local.error_samples) < 5:
                local.error_samples.append(problem)
            if final:
                local.errors += 1
                break
            local.retries += 1
            time.sleep(0.05 * attempt)
    connection.close()
    with lock:
        result.sent += local.sent
        result.errors += local.errors
        result.retries += local.retries
        result.duplicates_reported += local.duplicates_reported
        result.posted_donations |= local.posted_donations
        result.latencies_ms.extend(local.latencies_ms)
        result.error_samples.extend(local.error_samples[: max(0, 5 - len(result.error_samples))])


def send_events(*, host: str, port: int, events: list[Event], secret: str, senders: int = 8, max_seconds: float | None = None) -> SendResult:
    """Post every event once (plus retries after 5xx) from `senders` keep-alive connections; returns the figures.

    With `max_seconds`, senders stop taking new events when it is over (the run stays bounded on a busy machine).
    """
    if host not in LOOPBACK:
        raise ValueError(f"The bench only posts to the loopback interface, not {host!r}.")
    result = SendResult()
    lock = threading.Lock()
    cursor = [0]
    started = time.monotonic()
    deadline = started + max_seconds if max_seconds else float("inf")
    threads = [threading.Thread(target=_sender, args=(host, port, events, cursor, lock, secret, result, deadline), daemon=True) for _ in range(max(1, senders))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - started
    result.unsent = max(0, len(events) - result.sent)
    return result


def _ledger_check_problems() -> list[str]:
    """`manage.py ledger_check` (engineer "books"'s proof that raised_cents equals the ledger everywhere)."""
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    err = io.StringIO()
    try:
        call_command("ledger_check", stdout=io.StringIO(), stderr=err)
    except CommandError as error:
        lines = [line for line in err.getvalue().splitlines() if line.strip()]
        return [f"ledger_check: {error}"] + [f"ledger_check: {line}" for line in lines[:5]]
    return []


def _fallback_raised_problems(campaign_ids) -> list[str]:
    from trousse.campaigns.models import Campaign
    from trousse.ledger.selectors import campaign_raised_from_ledger

    problems = []
    for campaign in Campaign.objects.filter(pk__in=campaign_ids):
        ledger = campaign_raised_from_ledger(campaign=campaign)
        if ledger != campaign.raised_cents:
            problems.append(f"campaign {campaign.pk}: raised_cents is {campaign.raised_cents}, the ledger says {ledger}")
    return problems


def verify_webhook_effects(batch: WebhookBatch, *, events: list[Event] | None = None, use_ledger_check: bool = True) -> list[str]:
    """Every way the run could have lost or doubled an effect; an empty list when each donation succeeded exactly once."""
    from django.core.management import get_commands
    from django.db.models import Count, Sum

    from trousse.campaigns.models import Campaign
    from trousse.ledger.models import LedgerEntry, LedgerTransaction, TransactionKind
    from trousse.payments.models import Donation, DonationStatus, DonationTransition, StripeEvent

    problems: list[str] = []
    if events is not None:
        distinct = {event.id for event in events}
        stored = StripeEvent.objects.filter(stripe_event_id__in=list(distinct))
        if stored.count() != len(distinct):
            problems.append(f"{len(distinct)} distinct events sent, {stored.count()} stored")
        unprocessed = stored.filter(processed_at__isnull=True).count()
        if unprocessed:
            problems.append(f"{unprocessed} stored events were never applied")
    ids = list(batch.donations)
    statuses = Counter(Donation.objects.filter(pk__in=ids).values_list("status", flat=True))
    if statuses.get(DonationStatus.SUCCEEDED, 0) != len(ids):
        problems.append(f"{len(ids) - statuses.get(DonationStatus.SUCCEEDED, 0)} of {len(ids)} donations did not succeed: {dict(statuses)}")

    references = {f"donation:{pk}": pk for pk in ids}
    per_donation = dict(
        LedgerTransaction.objects.filter(reference__in=list(references), kind=TransactionKind.DONATION)
        .values_list("reference")
        .annotate(n=Count("id"))
    )
    missing = [pk for ref, pk in references.items() if per_donation.get(ref, 0) == 0]
    doubled = [references[ref] for ref, n in per_donation.items() if n > 1]
    if missing:
        problems.append(f"{len(missing)} donations have no ledger transaction (lost effect), e.g. donation {missing[0]}")
    if doubled:
        problems.append(f"{len(doubled)} donations have more than one ledger transaction (doubled effect), e.g. donation {doubled[0]}")
    amounts = dict(
        LedgerEntry.objects.filter(transaction__reference__in=list(references), transaction__kind=TransactionKind.DONATION, amount_cents__gt=0)
        .values_list("transaction__reference")
        .annotate(total=Sum("amount_cents"))
    )
    wrong = [references[ref] for ref, total in amounts.items() if total != batch.donations[references[ref]][2]]
    if wrong:
        problems.append(f"{len(wrong)} donations were credited a wrong amount in the ledger, e.g. donation {wrong[0]}")

    moves = dict(
        DonationTransition.objects.filter(donation_id__in=ids, to_status=DonationStatus.SUCCEEDED).values_list("donation_id").annotate(n=Count("id"))
    )
    twice = [pk for pk, n in moves.items() if n > 1]
    if twice:
        problems.append(f"{len(twice)} donations moved to succeeded more than once, e.g. donation {twice[0]}")

    expected = batch.expected_raise()
    after = dict(Campaign.objects.filter(pk__in=list(expected)).values_list("pk", "raised_cents"))
    off = {pk: after.get(pk, 0) - batch.raised_before.get(pk, 0) - amount for pk, amount in expected.items() if after.get(pk, 0) - batch.raised_before.get(pk, 0) != amount}
    if off:
        pk, gap = next(iter(off.items()))
        problems.append(f"{len(off)} campaigns' raised_cents moved by a different sum than their donations, e.g. campaign {pk} off by {gap} cents")

    if use_ledger_check and "ledger_check" in get_commands():
        problems += _ledger_check_problems()
    else:
        problems += _fallback_raised_problems(list(expected))
    return problems


def summary(result: SendResult, *, events: list[Event], problems: list[str]) -> dict:
    distinct = len({event.id for event in events})
    donations = len({event.donation_id for event in events})
    return {
        "events": len(events),
        "donations": donations,
        # Events beyond one per donation; "redeliveries" are those that repeat an event id.
        "duplicates": len(events) - donations,
        "redeliveries": len(events) - distinct,
        "requests": result.sent + result.retries,
        "errors": result.errors,
        "retries": result.retries,
        "duplicates_reported": result.duplicates_reported,
        "unsent": result.unsent,
        "seconds": round(result.seconds, 3),
        "rate": round(result.events_per_second, 1),
        "unit": "events/s",
        "p50_ms": _round(percentile(result.latencies_ms, 50)),
        "p95_ms": _round(percentile(result.latencies_ms, 95)),
        "p99_ms": _round(percentile(result.latencies_ms, 99)),
        "error_samples": result.error_samples,
        "verification": "ok" if not problems else "FAILED",
        "problems": problems[:10],
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
