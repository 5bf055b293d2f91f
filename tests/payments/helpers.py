"""Signed Stripe events for our webhook endpoint, built from the saved payloads in fixtures/."""

import copy
import hashlib
import hmac
import json
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from django.conf import settings

from trousse.ledger.selectors import campaign_raised_from_ledger

FIXTURES = Path(__file__).parent / "fixtures"
WEBHOOK_URL = "/payments/stripe/webhook/"


def stripe_signature(body: bytes, *, secret: str | None = None, timestamp: int | None = None) -> str:
    """Stripe's scheme: t=<timestamp>,v1=<HMAC-SHA256 of "<timestamp>.<body>" with the endpoint's secret>."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    secret = settings.STRIPE_WEBHOOK_SECRET if secret is None else secret
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event_payload(kind: str, *, donation=None, event_id: str | None = None, amount: int | None = None, **object_fields) -> dict:
    payload = copy.deepcopy(json.loads((FIXTURES / f"{kind}.json").read_text()))
    payload["id"] = event_id or f"evt_{uuid.uuid4().hex[:20]}"
    obj = payload["data"]["object"]
    if donation is not None:
        pi = donation.stripe_payment_intent_id
        if obj["object"] == "payment_intent":
            obj["id"] = pi
            obj["amount"] = donation.amount_cents
            obj["metadata"] = {"donation_id": str(donation.pk), "donation_public_id": str(donation.public_id), "campaign_id": str(donation.campaign_id)}
        else:
            obj["payment_intent"] = pi
            obj["amount"] = donation.amount_cents
    if amount is not None:
        obj["amount"] = amount
    obj.update(object_fields)
    return payload


def post_event(client, payload: dict, *, secret: str | None = None, signature: str | None = None):
    body = json.dumps(payload).encode()
    header = signature if signature is not None else stripe_signature(body, secret=secret)
    return client.post(WEBHOOK_URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)


def assert_raised_matches_ledger(campaign) -> None:
    campaign.refresh_from_db()
    assert campaign.raised_cents == campaign_raised_from_ledger(campaign=campaign)


def localstripe_card_token(api_base: str, number: str) -> dict:
    """What Stripe.js's createToken does in the page: card data to Stripe with the publishable key."""
    body = urllib.parse.urlencode(
        {"card[number]": number, "card[exp_month]": "12", "card[exp_year]": "2034", "card[cvc]": "123", "key": "pk_test_localstripe"}
    ).encode()
    with urllib.request.urlopen(urllib.request.Request(f"{api_base}/v1/tokens", data=body, method="POST"), timeout=5) as response:
        return json.loads(response.read())


def localstripe_authenticate(api_base: str, client_secret: str, *, success: bool = True) -> dict:
    """What localstripe's confirmCardPayment does after a click on "Complete authentication" (3-D Secure)."""
    intent_id = client_secret.split("_secret_")[0]
    body = json.dumps({"key": "pk_test_localstripe", "client_secret": client_secret}).encode()
    url = f"{api_base}/v1/payment_intents/{intent_id}/_authenticate?success={'true' if success else 'false'}"
    with urllib.request.urlopen(urllib.request.Request(url, data=body, method="POST"), timeout=5) as response:
        return json.loads(response.read())
