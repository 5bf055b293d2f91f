"""Card-testing guard: donation attempts limited per IP and per campaign (django-ratelimit).

Checked by hand rather than by decorator: the 429 must be a clear page or JSON,
and the ratelimit middleware is not installed.
"""

from django.conf import settings
from django_ratelimit import ALL
from django_ratelimit.core import is_ratelimited

# Overridable in settings; defaults fit a class project: a family gives once or twice.
DEFAULT_PER_IP = "10/10m"
DEFAULT_PER_CAMPAIGN = "120/h"


def donation_attempt_limited(request, *, campaign_id: int) -> bool:
    """True when this attempt is over a limit (the attempt is counted either way)."""
    per_ip = getattr(settings, "DONATION_RATELIMIT_PER_IP", DEFAULT_PER_IP)
    per_campaign = getattr(settings, "DONATION_RATELIMIT_PER_CAMPAIGN", DEFAULT_PER_CAMPAIGN)
    # django-ratelimit's "ip" key fails without an address (gunicorn on a unix socket behind a
    # proxy that passes none): such requests share one bucket rather than answer 500.
    ip_key = "ip" if request.META.get("REMOTE_ADDR") else (lambda _group, _request: "no-address")
    by_ip = is_ratelimited(request, group="donation-ip", key=ip_key, rate=per_ip, method=ALL, increment=True)
    by_campaign = is_ratelimited(
        request, group="donation-campaign", key=lambda _group, _request: str(campaign_id), rate=per_campaign, method=ALL, increment=True
    )
    return by_ip or by_campaign
