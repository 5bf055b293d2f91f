"""The donation block of the campaign page and the donors' links of the campaign's people."""

from django import template
from django.conf import settings
from django.template.defaultfilters import linebreaksbr
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from trousse.campaigns.models import MINIMUM_DONATION_CENTS, Status
from trousse.payments import selectors
from trousse.payments.services import DONATION_PRESETS_CENTS

register = template.Library()

FORM_FIELDS_TEMPLATE = "frontend/donations/_donation_form_fields.html"
# language -> the empty form's fields: some sixty translated strings, the same on every campaign page.
_empty_fields_html: dict[str, str] = {}


def _empty_form_fields() -> str:
    language = translation.get_language() or settings.LANGUAGE_CODE
    html = _empty_fields_html.get(language)
    if html is None:
        html = mark_safe(render_to_string(FORM_FIELDS_TEMPLATE, {"form": None, "field_errors": {}}))
        if not settings.DEBUG:  # while developing, a template edit shows at once
            _empty_fields_html[language] = html
    return html


def _messages_html(messages: list[selectors.PublicMessage]) -> str:
    """The donors' public messages: up to fifty items, built without a template loop (ten times cheaper)."""
    anonymous = gettext("Un donateur anonyme")
    return format_html_join(
        "\n",
        "<li><blockquote>{}</blockquote> <cite>{}</cite></li>",
        ((linebreaksbr(message.text, autoescape=True), anonymous if message.author is None else message.author) for message in messages),
    )


@register.inclusion_tag("frontend/donations/_campaign_block_inner.html", takes_context=True)
def donation_block(context, campaign=None, form=None, field_errors=None, error="", with_progress=True):
    """{% donation_block campaign %}: progress, the form while the campaign is live, public messages.

    The campaign page has its own progress box: it passes with_progress=False.
    """
    campaign = campaign or context.get("campaign")
    form = form if form is not None else context.get("form")
    field_errors = field_errors if field_errors is not None else (context.get("field_errors") or {})
    remaining = max(0, campaign.optimum_goal_cents - campaign.raised_cents)
    return {
        "campaign": campaign,
        "with_progress": with_progress,
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
        "is_open": campaign.status == Status.LIVE and remaining >= MINIMUM_DONATION_CENTS,
        "remaining_cents": remaining,
        "minimum_cents": MINIMUM_DONATION_CENTS,
        "presets": [cents for cents in DONATION_PRESETS_CENTS if cents <= remaining],
        "public_messages_html": _messages_html(selectors.donation_list_public_messages(campaign=campaign)),
        "stripe_js_url": settings.STRIPE_JS_URL,
        "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        "form": form,
        "field_errors": field_errors,
        # A form sent back with what the donor typed is rendered in full; an empty one is the same everywhere.
        "fields_html": _empty_form_fields() if form is None and not field_errors else None,
        "error": error or context.get("error", ""),
    }


@register.inclusion_tag("frontend/donations/_campaign_manage_links_inner.html", takes_context=True)
def donation_manage_links(context, campaign=None):
    """Links to the donors and the CSV export, for whoever may see them (nothing for anyone else)."""
    campaign = campaign or context.get("campaign")
    request = context.get("request")
    visibility = selectors.donation_visibility(actor=getattr(request, "user", None), campaign=campaign)
    return {"campaign": campaign, "visibility": visibility, "full": visibility == selectors.DONORS_FULL}


@register.inclusion_tag("frontend/donations/_progress.html")
def donation_progress(campaign):
    return {"campaign": campaign}
