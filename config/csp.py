"""Content-Security-Policy compatible with Stripe.js (production only, see production.py).

Stripe's own list (docs.stripe.com/security/guide#content-security-policy):
script-src and frame-src js.stripe.com, frame-src hooks.stripe.com (3-D Secure),
connect-src api.stripe.com. Pictures come from the S3 domain when files are on S3.
When localstripe stands in for Stripe (docker-compose without keys), its address
replaces Stripe's so the donation page still works.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings


def _origin(url: str) -> str | None:
    parts = urlsplit(url or "")
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def build_policy() -> str:
    """The header's value, from settings: computed once per process."""
    stripe_js = ["https://js.stripe.com", "https://*.js.stripe.com"]
    stripe_frames = ["https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"]
    stripe_api = ["https://api.stripe.com"]
    if getattr(settings, "USES_LOCALSTRIPE", False):
        local = _origin(getattr(settings, "STRIPE_JS_URL", "")) or _origin(getattr(settings, "STRIPE_API_BASE", ""))
        if local:
            stripe_js, stripe_frames, stripe_api = [local], [local], [local]
    images = ["'self'", "data:"]
    media = _origin(getattr(settings, "CSP_MEDIA_ORIGIN", "") or "")
    if media:
        images.append(media)
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *stripe_js],
        "style-src": ["'self'"],
        # Progress bars set their width in a style attribute; attributes cannot run script.
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": images,
        "font-src": ["'self'"],
        "connect-src": ["'self'", *stripe_api],
        "frame-src": stripe_frames,
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(dict.fromkeys(sources))}" for name, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    """Adds the policy to every response that does not set its own."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = build_policy()
        self.header = "Content-Security-Policy-Report-Only" if getattr(settings, "CSP_REPORT_ONLY", False) else "Content-Security-Policy"

    def __call__(self, request):
        response = self.get_response(request)
        if self.header not in response:
            response[self.header] = self.policy
        return response
