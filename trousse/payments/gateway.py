"""The Stripe gateway: the only module that imports `stripe`.

Functions take and return cents and small dataclasses; stripe 16 objects never
leave this module (`.to_dict()` at the edge). Idempotency keys derive from our
ids (`donation:{id}`, `refund:{id}`): a second guard behind our database, which
is the first (localstripe ignores the keys).

Only parameters localstripe also accepts are sent (STYLE.md): what we need to
find later goes into `metadata`. The one exception is SEPA's `mandate_data`,
which real Stripe requires to confirm a debit server-side and localstripe
refuses: it is sent only when the key is a real one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import stripe
from django.conf import settings

from .failures import UNKNOWN_PAYMENT_METHOD

logger = logging.getLogger(__name__)

# Pinned: payloads and object shapes do not move under us when Stripe ships a version.
STRIPE_API_VERSION = "2025-03-31.basil"
CURRENCY = "eur"


class GatewayError(Exception):
    """Stripe could not be reached or refused the request for a reason that is ours, not the donor's."""


class SignatureError(Exception):
    """A webhook whose signature or body cannot be trusted."""


@dataclass(frozen=True)
class PaymentIntentData:
    id: str
    status: str  # Stripe's: requires_payment_method, requires_action, processing, succeeded, canceled, ...
    amount_cents: int
    client_secret: str = ""
    charge_id: str = ""
    payment_method_type: str = ""
    failure_message: str = ""
    # The bank's decline_code, else Stripe's error code: what the donor is told, in their language (failures.py).
    failure_code: str = ""
    requires_action: bool = False
    metadata: dict[str, str] = field(default_factory=dict)
    created: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PaymentAttempt:
    """What came back when we asked Stripe to take a payment: an intent, or a decline."""

    intent: PaymentIntentData | None
    declined: bool = False
    decline_message: str = ""
    decline_code: str = ""
    # Real Stripe names the intent in a decline; localstripe does not.
    declined_payment_intent_id: str = ""


@dataclass(frozen=True)
class RefundData:
    id: str
    status: str
    amount_cents: int
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    type: str
    payload: dict[str, Any]

    @property
    def object(self) -> dict[str, Any]:
        return self.payload.get("data", {}).get("object", {}) or {}


MAX_NETWORK_RETRIES = 2
_clients: dict[tuple[str, str, float], stripe.StripeClient] = {}


def client() -> stripe.StripeClient:
    """A StripeClient for the current settings (tests point them at their own localstripe)."""
    cache_key = (settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE, settings.STRIPE_TIMEOUT_SECONDS)
    found = _clients.get(cache_key)
    if found is None:
        found = stripe.StripeClient(
            settings.STRIPE_SECRET_KEY,
            base_addresses={"api": settings.STRIPE_API_BASE},
            stripe_version=STRIPE_API_VERSION,
            # Retried with the same idempotency key: a retry never charges twice.
            max_network_retries=MAX_NETWORK_RETRIES,
            # Stripe's library waits 80 s by default: a Stripe that hangs would hold the donor for minutes.
            http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS),
        )
        _clients[cache_key] = found
    return found


def _uses_localstripe() -> bool:
    return bool(getattr(settings, "USES_LOCALSTRIPE", False))


def _id_of(value: Any) -> str:
    """Stripe returns either an id or the expanded object (localstripe expands latest_charge)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return value.get("id", "") or ""
    return getattr(value, "id", "") or ""


def _failure_code(decline_code: Any, code: Any) -> str:
    """The most precise code Stripe gave: the bank's decline_code (insufficient_funds under card_declined), else the error's code."""
    return str(decline_code or code or "")[:60]


def payment_intent_from_dict(data: dict[str, Any]) -> PaymentIntentData:
    """Our view of a PaymentIntent, from the API or from a webhook payload."""
    error = data.get("last_payment_error") or {}
    if not isinstance(error, dict):
        error = {}
    method_types = data.get("payment_method_types") or []
    return PaymentIntentData(
        id=data.get("id", ""),
        status=data.get("status", ""),
        amount_cents=int(data.get("amount") or 0),
        client_secret=data.get("client_secret") or "",
        charge_id=_id_of(data.get("latest_charge")),
        payment_method_type=method_types[0] if method_types else "",
        failure_message=(error.get("message") or "")[:500],
        failure_code=_failure_code(error.get("decline_code"), error.get("code")),
        requires_action=data.get("status") == "requires_action",
        metadata={str(k): str(v) for k, v in (data.get("metadata") or {}).items()},
        created=int(data.get("created") or 0),
    )


def _metadata(metadata: dict[str, Any]) -> dict[str, str]:
    return {key: str(value) for key, value in metadata.items()}


def _create_payment_intent(params: dict[str, Any], *, idempotency_key: str) -> PaymentAttempt:
    try:
        intent = client().v1.payment_intents.create(params=params, options={"idempotency_key": idempotency_key})
    except stripe.CardError as error:
        details = error.error
        return PaymentAttempt(
            intent=None,
            declined=True,
            decline_message=(error.user_message or getattr(details, "message", "") or str(error))[:500],
            decline_code=_failure_code(getattr(details, "decline_code", None), error.code),
            declined_payment_intent_id=_id_of(getattr(details, "payment_intent", None)),
        )
    except stripe.InvalidRequestError as error:
        if not _unknown_payment_method(error):
            logger.warning("Stripe refused a PaymentIntent (%s): %s", idempotency_key, error)
            raise GatewayError(str(error)) from error
        # The page's payment method is not one Stripe knows (tampered with, or from another
        # account): the donor's input, refused like a declined card; trying again cannot help.
        return PaymentAttempt(intent=None, declined=True, decline_message=str(error)[:500], decline_code=UNKNOWN_PAYMENT_METHOD)
    except stripe.StripeError as error:
        logger.warning("Stripe refused a PaymentIntent (%s): %s", idempotency_key, error)
        raise GatewayError(str(error)) from error
    return PaymentAttempt(intent=payment_intent_from_dict(intent.to_dict()))


def _unknown_payment_method(error: stripe.InvalidRequestError) -> bool:
    # Stripe: 400 resource_missing on param "payment_method"; localstripe: 404 Not Found.
    return error.param == "payment_method" or error.code == "resource_missing" or error.http_status == 404


def card_payment_create(*, donation_id: int, amount_cents: int, card_payment_method: str, metadata: dict[str, Any]) -> PaymentAttempt:
    """Create and confirm a card PaymentIntent with what Stripe.js gave the page.

    `card_payment_method` is a PaymentMethod id (pm_…) or the card of a token
    from `stripe.createToken` (card_…): Stripe's `payment_method` takes "a
    PaymentMethod, Card, or compatible Source object", and localstripe's
    Stripe.js stand-in only supports createToken, so one path serves both.
    3-D Secure leaves the intent in `requires_action`: the page finishes it
    with `stripe.confirmCardPayment(client_secret)`.
    """
    params = {
        "amount": amount_cents,
        "currency": CURRENCY,
        "payment_method": card_payment_method,
        "payment_method_types": ["card"],
        "confirm": True,
        "metadata": _metadata(metadata),
    }
    return _create_payment_intent(params, idempotency_key=f"donation:{donation_id}")


def sepa_payment_create(
    *, donation_id: int, amount_cents: int, iban: str, name: str, email: str, metadata: dict[str, Any], ip_address: str = "", user_agent: str = ""
) -> PaymentAttempt:
    """Create and confirm a SEPA Direct Debit PaymentIntent (asynchronous: processing, then days later succeeded or failed)."""
    try:
        method = client().v1.payment_methods.create(
            params={"type": "sepa_debit", "sepa_debit": {"iban": iban}, "billing_details": {"name": name, "email": email}},
            options={"idempotency_key": f"donation:{donation_id}:sepa_method"},
        )
    except stripe.InvalidRequestError as error:
        return PaymentAttempt(intent=None, declined=True, decline_message=(error.user_message or str(error))[:500], decline_code=_failure_code(None, error.code))
    except stripe.StripeError as error:
        raise GatewayError(str(error)) from error
    params: dict[str, Any] = {
        "amount": amount_cents,
        "currency": CURRENCY,
        "payment_method": method.id,
        "payment_method_types": ["sepa_debit"],
        "confirm": True,
        "metadata": _metadata(metadata),
    }
    if not _uses_localstripe():
        # Real Stripe needs the donor's acceptance of the mandate to debit; localstripe refuses the parameter.
        params["mandate_data"] = {"customer_acceptance": {"type": "online", "online": {"ip_address": ip_address or "127.0.0.1", "user_agent": user_agent or "unknown"}}}
    return _create_payment_intent(params, idempotency_key=f"donation:{donation_id}")


def payment_intent_retrieve(payment_intent_id: str) -> PaymentIntentData:
    try:
        intent = client().v1.payment_intents.retrieve(payment_intent_id)
    except stripe.StripeError as error:
        raise GatewayError(str(error)) from error
    return payment_intent_from_dict(intent.to_dict())


def payment_intents_list_recent(*, since_timestamp: int, max_items: int = 500) -> list[PaymentIntentData]:
    """PaymentIntents created since `since_timestamp`, newest first on Stripe (localstripe: any order).

    Only `limit` and `starting_after` are sent: localstripe refuses the `created` filter.
    """
    found: list[PaymentIntentData] = []
    starting_after = None
    while len(found) < max_items:
        params: dict[str, Any] = {"limit": 100}
        if starting_after:
            params["starting_after"] = starting_after
        try:
            page = client().v1.payment_intents.list(params=params)
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
        items = [payment_intent_from_dict(item.to_dict()) for item in page.data]
        if not items:
            break
        found.extend(item for item in items if item.created >= since_timestamp)
        if not page.has_more:
            break
        starting_after = items[-1].id
    return found[:max_items]


def refund_create(*, refund_id: int, payment_intent_id: str, amount_cents: int, metadata: dict[str, Any]) -> RefundData:
    # No `reason`: localstripe refuses it; ours is kept in our database and in metadata.
    try:
        refund = client().v1.refunds.create(
            params={"payment_intent": payment_intent_id, "amount": amount_cents, "metadata": _metadata({**metadata, "refund_id": refund_id})},
            options={"idempotency_key": f"refund:{refund_id}"},
        )
    except stripe.StripeError as error:
        raise GatewayError(str(error)) from error
    return _refund_from(refund.to_dict())


def refund_find(*, refund_id: int, payment_intent_id: str) -> RefundData | None:
    """The Stripe refund made for our refund `refund_id`, if a previous attempt reached Stripe before a crash."""
    try:
        page = client().v1.refunds.list(params={"payment_intent": payment_intent_id, "limit": 100})
    except stripe.StripeError as error:
        raise GatewayError(str(error)) from error
    for item in page.data:
        data = item.to_dict()
        if str((data.get("metadata") or {}).get("refund_id", "")) == str(refund_id):
            return _refund_from(data)
    return None


def _refund_from(data: dict[str, Any]) -> RefundData:
    return RefundData(
        id=data.get("id", ""),
        status=data.get("status", ""),
        amount_cents=int(data.get("amount") or 0),
        metadata={str(k): str(v) for k, v in (data.get("metadata") or {}).items()},
    )


def construct_event(*, payload: bytes, signature_header: str | None) -> WebhookEvent:
    """Verify a webhook's signature on the raw body and read it. Raises SignatureError.

    stripe's own verification (timestamp tolerance included), then plain JSON:
    building the library's Event object only to turn it back into dicts took a
    tenth of a webhook's time.
    """
    if not signature_header:
        raise SignatureError("missing Stripe-Signature header")
    try:
        stripe.WebhookSignature.verify_header(payload, signature_header, settings.STRIPE_WEBHOOK_SECRET, stripe.Webhook.DEFAULT_TOLERANCE)
        data = json.loads(payload)
    except stripe.SignatureVerificationError as error:
        raise SignatureError(str(error)) from error
    except (ValueError, TypeError) as error:
        # A body that is not UTF-8, or signed but not JSON.
        raise SignatureError(f"malformed event: {error}") from error
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not isinstance(data.get("type"), str) or not isinstance(data.get("data"), dict):
        raise SignatureError("malformed event: no id, type or data")
    return WebhookEvent(id=data["id"], type=data["type"], payload=data)


def sign_payload(payload: bytes, *, secret: str | None = None, timestamp: int | None = None) -> str:
    """A Stripe-Signature header for `payload` (Stripe's scheme: t=...,v1=HMAC-SHA256 of "t.body").

    For tests and `make run` tooling: what localstripe cannot emit is posted to our endpoint signed like this.
    """
    timestamp = int(time.time()) if timestamp is None else timestamp
    secret = settings.STRIPE_WEBHOOK_SECRET if secret is None else secret
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
