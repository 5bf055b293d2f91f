"""Bad input on every API operation, as every role: never a 5xx (schemathesis against /api/schema/).

schemathesis loads the schema drf-spectacular serves at /api/schema/ from the
WSGI application (config.wsgi) and builds cases for every operation in its
three phases: the schema's examples; coverage (boundaries, wrong types,
missing and extra fields, malformed bodies and content types); hypothesis
fuzzing, in positive and negative modes. Each case goes through the whole
WSGI stack with the API token (`Authorization: Token …`) of one role, the
next in turn, so every role gets its share of each operation, and the
operation's first well-formed case is sent by every role.

So that cases get past the 404 into serializers and services, a field that
names one of our objects (a campaign's slug, an expense's id, a budget line,
a card localstripe knows…) often gets a real one, from a world of campaigns in
every state with money on the books. Half of the bodies get one field set to an
odd value of its type (5 000 characters, NUL, SQL, 2**70…): a value valid for
the schema that a column or a bigint cannot hold. All of it is chosen from a
hash of what schemathesis generated, so runs (derandomized) are repeatable and
a replay sends the same request as the same role.

Checks: not a server error, and a documented status answers the documented
body (response schema conformance). Stripe is the session's localstripe
(tests/plugins/localstripe.py); what a request schedules after commit (a
refund through Stripe, e-mails, receipts) runs after it, so a job crashing on
odd input fails here too.
"""

import itertools
import zlib

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from django.test import TestCase, override_settings
from django.utils import timezone
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.core import NotSet

from config.wsgi import application
from tests import factories
from tests.ledger.helpers import succeeded_campaign
from tests.payments.helpers import localstripe_card_token
from trousse.accounts.apis import TokenThrottle
from trousse.campaigns.models import CampaignImage, Status
from trousse.ledger import services as ledger_services
from trousse.ledger.models import ExpensePaymentMethod
from trousse.payments import services as payment_services

pytestmark = pytest.mark.localstripe

ROLES = ("anonymous", "teacher", "animator", "mandataire", "treasurer", "admin")
PASSWORD = "motdepasse-de-test"  # tests/factories.py's UserFactory
# What gunicorn (bound to TCP, as in docker-compose.yml) puts in every request; werkzeug's client does not.
ENVIRON = {"REMOTE_ADDR": "127.0.0.1"}
CHECKS = [not_a_server_error, response_schema_conformance]

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
# Deterministic (derandomized) and bounded: a few hypothesis cases per operation on top of the
# coverage phase's systematic ones. Sending a GET where only POST exists is Django's 405,
# not our code: of the unexpected methods only OPTIONS (DRF's metadata) is kept.
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=6, deterministic=True, database="none", unique_inputs=True
)
schema.config.phases.coverage.unexpected_methods = {"options"}
# The coverage phase tries every field with every boundary and wrong type: over 400 cases for the
# biggest bodies. Past an operation's first COVERAGE_ALL, one in COVERAGE_STRIDE is sent, chosen by
# a hash of the case: the same sample every run, spread over all the fields.
COVERAGE_ALL = 10
COVERAGE_STRIDE = 15
# schemathesis also parses every view's source for literals to try: slower to collect, and the
# values that matter here (our slugs and ids, a card localstripe accepts) come from the world below.
schema.config.analysis.constants.enabled = False


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, localstripe_base_url):
    """Every role, campaigns in every state, money on the books: created once, rolled back at the end.

    Each test runs in a savepoint inside this transaction (pytest-django's `db`), so what a
    case changes is undone before the next operation.
    """
    stripe = {
        "STRIPE_SECRET_KEY": "sk_test_localstripe",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_localstripe",
        "STRIPE_API_BASE": localstripe_base_url,
        "USES_LOCALSTRIPE": True,
    }
    with django_db_blocker.unblock(), override_settings(**stripe):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build_world(localstripe_base_url)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _build_world(localstripe_base_url: str) -> dict:
    ad = factories.DepartmentalAssociationFactory(number="79")
    other_ad = factories.DepartmentalAssociationFactory(number="84")
    cooperative = factories.CooperativeFactory(ad=ad)
    teacher = factories.teacher_of(cooperative)
    mandataire = factories.mandataire_of(cooperative)
    treasurer = factories.treasurer_of(ad)
    users = {
        "teacher": teacher,
        "animator": factories.animator_of(ad),
        "mandataire": mandataire,
        "treasurer": treasurer,
        "admin": factories.federation_admin(is_staff=True, is_superuser=True),
    }
    factories.animator_of(other_ad)
    other_campaign = factories.CampaignFactory(cooperative=factories.CooperativeFactory(ad=other_ad), status=Status.LIVE)

    def campaign(status, **fields):
        return factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=status, **fields)

    draft = campaign(Status.DRAFT)
    submitted = campaign(Status.SUBMITTED, submitted_at=timezone.now())
    live = campaign(Status.LIVE)
    cards = {number: localstripe_card_token(localstripe_base_url, number)["card"]["id"] for number in ("4242424242424242", "4000000000000002", "4000002500003155")}
    # A donation paid through localstripe, so that a refund of it reaches a real PaymentIntent.
    with TestCase.captureOnCommitCallbacks(execute=True):
        donation = payment_services.donation_create(
            campaign=live, amount_cents=5_000, first_name="Léa", last_name="Martin", email="lea@example.org", wants_tax_receipt=True, address_line="1 rue", postal_code="79000", city="Niort"
        )
        payment_services.donation_payment_start(donation=donation, card_payment_method=cards["4242424242424242"])
    donation.refresh_from_db()
    funded = succeeded_campaign(cooperative, teacher=teacher)
    batch = ledger_services.disbursement_batch_create(actor=treasurer, ad=ad, requests=[ledger_services.DisbursementRequest(campaign=funded, amount_cents=110_000)])
    ledger_services.disbursement_batch_execute(actor=treasurer, batch=batch)
    expense = ledger_services.expense_create(
        actor=mandataire,
        campaign=funded,
        budget_line=funded.budget_lines.first(),
        date=timezone.localdate(),
        supplier="Librairie",
        amount_cents=10_000,
        payment_method=ExpensePaymentMethod.CARD,
    )
    ledger_services.expense_submit(actor=mandataire, expense=expense)
    succeeded = succeeded_campaign(cooperative, teacher=teacher)
    pending = ledger_services.disbursement_batch_create(actor=treasurer, ad=ad, requests=[ledger_services.DisbursementRequest(campaign=succeeded, amount_cents=1_000)])
    image = CampaignImage.objects.create(campaign=draft, large=f"campaigns/{draft.pk}/a.jpg", thumbnail=f"campaigns/{draft.pk}/a_t.jpg", width=10, height=10, alt_text="x")
    slugs = [draft.slug, submitted.slug, live.slug, funded.slug, succeeded.slug, other_campaign.slug]
    return {
        "live_slug": live.slug,
        "tokens": {"anonymous": None} | {role: Token.objects.create(user=user).key for role, user in users.items()},
        # Real values a field may take instead of the generated one (which is kept too, see _known).
        "known": {
            "slug": slugs,
            "campaign": slugs,
            "public_id": [str(donation.public_id)],
            "cooperative_id": [cooperative.pk],
            "cooperative": [cooperative.pk],
            "ad": [ad.pk, ad.number],
            "batch_id": [batch.pk, pending.pk],
            "expense_id": [expense.pk],
            "image_id": [image.pk],
            "budget_line": [line.pk for line in funded.budget_lines.all()],
            "card_payment_method": list(cards.values()),
            "amount_cents": [2_000, 5_000],
            "email": [teacher.email],
            "password": [PASSWORD],
        },
    }


def _generated(case) -> str:
    """What schemathesis generated, before we touch it: the seed of every choice below."""
    body = None if isinstance(case.body, NotSet) else case.body  # NotSet's repr holds its address
    return repr((case.method, case.path_parameters, case.query, case.headers, case.cookies, body, case.media_type))


def _known(name: str, value, known: dict):
    """The generated value or, chosen by a hash of it, one of ours."""
    choices = known.get(name)
    if not choices:
        return value
    index = zlib.crc32(repr((name, value)).encode()) % (len(choices) + 1)
    return value if index == len(choices) else choices[index]


def _with_known_values(case, known: dict) -> None:
    if case.path_parameters:
        case.path_parameters = {name: _known(name, value, known) for name, value in case.path_parameters.items()}
    if case.query:
        case.query = {name: _known(name, value, known) for name, value in case.query.items()}
    if isinstance(case.body, dict):
        body = {name: _known(name, value, known) for name, value in case.body.items()}
        if isinstance(body.get("items"), list):  # a disbursement batch's lines name campaigns
            body["items"] = [{k: _known(k, v, known) for k, v in item.items()} if isinstance(item, dict) else item for item in body["items"]]
        case.body = body


# What schemathesis seldom writes where the schema leaves a field open: text longer than a
# column, markup, SQL, NUL, numbers a float or a bigint cannot hold.
ODD_TEXT = ("", " ", "0", "-1", "1e309", "NaN", "null", "<script>alert(1)</script>", "' OR 1=1 --", "é" * 300, "\u0000", "../../etc/passwd", "x" * 5000)
HUGE_NUMBERS = (2**63, -(2**63) - 1, 2**70, 10**30)


def _with_one_odd_value(case, digest: int) -> None:
    """Half of the bodies get one field, chosen by the digest, set to an odd value of its type."""
    if not isinstance(case.body, dict) or digest % 2:
        return
    fields = sorted(name for name, value in case.body.items() if isinstance(value, (str, int)) and not isinstance(value, bool))
    if not fields:
        return
    name = fields[(digest >> 1) % len(fields)]
    odd = ODD_TEXT if isinstance(case.body[name], str) else HUGE_NUMBERS
    case.body = {**case.body, name: odd[(digest >> 8) % len(odd)]}


@pytest.fixture
def wsgi_app(world, settings, monkeypatch):
    """The WSGI application answering inside the test's transaction, without rate limits."""
    # Rate limits would answer 429 before the code under test after a few cases; they have their own tests.
    settings.DONATION_RATELIMIT_PER_IP = "100000/m"
    settings.DONATION_RATELIMIT_PER_CAMPAIGN = "100000/m"
    monkeypatch.setattr(TokenThrottle, "rate", "100000/m")
    # Django's test client does this too: the end of a request must not close the connection
    # that holds the test's transaction (the WSGI handler would, in an atomic block).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield application
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def roles():
    """Which roles send a case: the next one in turn for a new case, the same ones for a replay."""
    turn = itertools.cycle(ROLES)
    seen: dict[str, tuple[str, ...]] = {}
    coverage_cases = itertools.count(1)

    def for_case(case, generated: str) -> tuple[str, ...]:
        if generated not in seen:
            if case.meta.generation.mode.value == "positive" and ROLES not in seen.values():
                seen[generated] = ROLES  # the operation's first well-formed case: every role sends it
            elif case.meta.phase.name.value == "coverage" and next(coverage_cases) > COVERAGE_ALL and zlib.crc32(generated.encode()) % COVERAGE_STRIDE:
                seen[generated] = ()
            else:
                seen[generated] = (next(turn),)
        return seen[generated]

    return for_case


def _send(case, world: dict, role: str):
    token = world["tokens"][role]
    headers = {"Authorization": f"Token {token}"} if token else {}
    return case.call_and_validate(headers=headers, checks=CHECKS, environ_base=ENVIRON)


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much], deadline=None)
def test_no_operation_answers_a_server_error(case, db, world, wsgi_app, roles, django_capture_on_commit_callbacks):
    generated = _generated(case)
    _with_known_values(case, world["known"])
    _with_one_odd_value(case, zlib.crc32(generated.encode()))
    for role in roles(case, generated):
        # What the request scheduled after commit (refunds through Stripe, e-mails, receipts) runs too.
        with django_capture_on_commit_callbacks(execute=True):
            _send(case, world, role)


def test_the_donation_list_answers_the_page_envelope_its_schema_documents(db, world, wsgi_app):
    """It answered {count, next, previous, results} while the schema said a bare list."""
    operation = schema["/api/v1/campaigns/{slug}/donations/"]["GET"]
    response = _send(operation.Case(path_parameters={"slug": world["live_slug"]}), world, "treasurer")

    assert response.status_code == 200
    assert [row["public_id"] for row in response.json()["results"]] == [world["known"]["public_id"][0]]


def test_an_unknown_payment_method_is_a_refusal_not_a_server_error(db, world, wsgi_app, django_capture_on_commit_callbacks):
    """A pm_/card_ id Stripe does not know (tampered, or from another account) is the donor's input, not an outage (503)."""
    operation = schema["/api/v1/donations/"]["POST"]
    body = {"campaign": world["live_slug"], "amount_cents": 2_000, "first_name": "Léa", "last_name": "Martin", "email": "lea@example.org", "card_payment_method": "pm_nexistepas"}
    with django_capture_on_commit_callbacks(execute=True):
        response = _send(operation.Case(body=body, media_type="application/json"), world, "anonymous")

    # Like a declined card: the donation is recorded as failed and the donor told why.
    assert response.status_code == 201, response.content
    assert response.json()["declined"] is True and "n'a pas été reconnu" in response.json()["message"]

