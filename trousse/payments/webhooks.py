"""The Stripe webhook endpoint: verify on the raw body, store once, apply idempotently."""

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import gateway, services

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    try:
        event = gateway.construct_event(payload=request.body, signature_header=request.headers.get("Stripe-Signature"))
    except gateway.SignatureError as error:
        # Nothing is stored for a body we cannot trust.
        logger.warning("Stripe webhook refused: %s", error)
        return JsonResponse({"detail": "invalid signature or payload"}, status=400)
    try:
        applied = services.stripe_event_process(event=event)
    except Exception as error:  # our failure: 500 so that Stripe delivers it again
        logger.exception("Stripe event %s (%s) failed", event.id, event.type)
        try:
            services.stripe_event_record_failure(event=event, error=repr(error))
        except Exception:  # the database itself may be what failed
            logger.exception("could not record the failure of Stripe event %s", event.id)
        return JsonResponse({"detail": "processing failed, retry"}, status=500)
    return JsonResponse({"received": True, "duplicate": not applied})
