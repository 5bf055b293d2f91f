"""Bad input on every API endpoint: whatever the body and whoever sends it, never a 5xx.

schemathesis is not installed here (asked of the lead), so this walks the
OpenAPI schema served at /api/schema/ and posts bodies that hypothesis builds
from it: well-typed values, wrong types, missing and extra fields, odd text,
huge numbers; as every role, to every operation.
"""

import json
import re
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from trousse.campaigns.models import Status
from trousse.payments import gateway
from trousse.payments.models import DonationStatus

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "teacher", "animator", "mandataire", "treasurer", "admin")
ODD_TEXT = st.sampled_from(["", " ", "0", "-1", "1e309", "NaN", "null", "<script>alert(1)</script>", "' OR 1=1 --", "é" * 300, "\u0000", "\ud7ff\ue000", "../../etc/passwd", "x" * 5000])
ANY_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=False), st.text(max_size=40), ODD_TEXT)
ANY_JSON = st.recursive(ANY_SCALAR, lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(st.text(string.ascii_lowercase, max_size=8), children, max_size=3)), max_leaves=6)


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _typed(schema: dict, node: dict, depth: int = 0):
    node = _resolve(schema, node)
    if "enum" in node:
        return st.sampled_from(node["enum"])
    if node.get("allOf"):
        return _typed(schema, node["allOf"][0], depth)
    if node.get("oneOf") or node.get("anyOf"):
        return st.one_of([_typed(schema, option, depth) for option in node.get("oneOf") or node.get("anyOf")])
    kind = node.get("type")
    if kind == "integer":
        return st.integers(min_value=-(2**63), max_value=2**63)
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.lists(_typed(schema, node.get("items", {}), depth + 1), max_size=3) if depth < 3 else st.just([])
    if kind == "object" or "properties" in node:
        return _object(schema, node, depth + 1) if depth < 3 else st.just({})
    if node.get("format") == "date":
        return st.one_of(st.dates().map(str), ODD_TEXT)
    if node.get("format") == "binary":
        return st.binary(max_size=64)
    return st.one_of(st.text(max_size=60), ODD_TEXT)


def _value(schema: dict, node: dict, depth: int = 0):
    """Mostly the declared type, sometimes anything at all."""
    return st.one_of(_typed(schema, node, depth), _typed(schema, node, depth), ANY_JSON)


def _object(schema: dict, node: dict, depth: int = 0):
    node = _resolve(schema, node)
    properties = node.get("properties", {})
    fields = {name: _value(schema, prop, depth) for name, prop in properties.items() if not prop.get("readOnly")}
    extra = st.dictionaries(st.text(string.ascii_lowercase, min_size=1, max_size=8), ANY_SCALAR, max_size=2)
    return st.fixed_dictionaries({}, optional=fields).flatmap(lambda body: extra.map(lambda more: {**more, **body}))


def _operations(schema: dict) -> list[tuple[str, str, dict]]:
    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                found.append((method, path, operation))
    return found


@pytest.fixture
def world(monkeypatch):
    """Every role, and a campaign in each state the endpoints act on."""
    ad = factories.DepartmentalAssociationFactory(number="79")
    cooperative = factories.CooperativeFactory(ad=ad)
    teacher = factories.teacher_of(cooperative)
    live = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE)
    draft = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.DRAFT)
    succeeded = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUCCEEDED)
    donation = factories.DonationFactory(campaign=live, status=DonationStatus.SUCCEEDED)
    users = {
        "anonymous": None,
        "teacher": teacher,
        "animator": factories.animator_of(ad),
        "mandataire": factories.mandataire_of(cooperative),
        "treasurer": factories.treasurer_of(ad),
        "admin": factories.federation_admin(is_staff=True, is_superuser=True),
    }
    # Stripe is not what is under test: it declines at once (a decline is a normal answer).
    declined = gateway.PaymentAttempt(intent=None, declined=True, decline_message="fuzz")
    monkeypatch.setattr(gateway, "card_payment_create", lambda **kwargs: declined)
    monkeypatch.setattr(gateway, "sepa_payment_create", lambda **kwargs: declined)
    return {
        "users": users,
        "params": {
            "slug": [live.slug, draft.slug, succeeded.slug, "nexiste-pas"],
            "public_id": [str(donation.public_id), "00000000-0000-0000-0000-000000000000"],
            "cooperative_id": [str(cooperative.pk), "999999"],
        },
    }


def _url(path: str, world: dict, draw) -> str:
    def fill(match):
        name = match.group(1)
        choices = world["params"].get(name) or ["1", "2", "999999"]
        return draw(st.sampled_from(choices))

    return re.sub(r"\{(\w+)\}", fill, path)


def _send(client, method: str, url: str, operation: dict, body):
    content = (operation.get("requestBody") or {}).get("content", {})
    if method == "get":
        return client.get(url)
    if "application/json" in content or not content:
        return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")
    # Multipart only (uploads): what a form would send, every value as text or a file.
    from django.core.files.uploadedfile import SimpleUploadedFile

    fields = {}
    for name, value in (body or {}).items() if isinstance(body, dict) else []:
        fields[name] = SimpleUploadedFile("f.bin", value) if isinstance(value, bytes) else ("" if value is None else str(value))
    if method == "post":
        return client.post(url, data=fields)
    return getattr(client, method)(url, data=fields)


def _assert_no_server_error(response, method, url, role, body):
    assert response.status_code < 500, f"{method.upper()} {url} as {role} answered {response.status_code} to {body!r}"


def test_every_operation_as_every_role_with_empty_and_wrong_typed_bodies(client, schema, world):
    """A deterministic pass first: every operation, every role, an empty body and one of wrong types."""
    for method, path, operation in _operations(schema):
        body_schema = ((operation.get("requestBody") or {}).get("content", {}).get("application/json") or {}).get("schema", {})
        names = list(_resolve(schema, body_schema).get("properties", {})) if body_schema else []
        wrong = {name: {"nested": [None]} for name in names}
        for role in ("anonymous", "teacher", "treasurer", "admin"):
            user = world["users"][role]
            client.logout()
            if user is not None:
                client.force_login(user)
            for slug in world["params"]["slug"][:1]:
                url = path.replace("{slug}", slug).replace("{public_id}", world["params"]["public_id"][0])
                url = re.sub(r"\{\w+\}", "1", url)
                for body in ({}, wrong):
                    _assert_no_server_error(_send(client, method, url, operation, body), method, url, role, body)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_generated_bodies_never_cause_a_server_error(client, schema, world, data):
    method, path, operation = data.draw(st.sampled_from(_operations(schema)), label="operation")
    role = data.draw(st.sampled_from(ROLES), label="role")
    client.logout()
    if world["users"][role] is not None:
        client.force_login(world["users"][role])
    content = (operation.get("requestBody") or {}).get("content", {})
    body_schema = next(iter(content.values()), {}).get("schema", {}) if content else {}
    body = data.draw(st.one_of(_object(schema, body_schema), ANY_JSON) if body_schema else ANY_JSON, label="body")
    url = _url(path, world, data.draw)
    _assert_no_server_error(_send(client, method, url, operation, body), method, url, role, body)
