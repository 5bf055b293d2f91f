"""The donation block of the campaign page and the donors' links of the campaign's people."""

import re
from html import escape as escape_html

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from trousse.campaigns.models import MINIMUM_DONATION_CENTS, Status
from trousse.money import format_euros
from trousse.payments import selectors
from trousse.payments.services import DONATION_PRESETS_CENTS

register = template.Library()

BLOCK_TEMPLATE = "frontend/donations/_campaign_block_inner.html"
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


# Line breaks as the linebreaksbr filter reads them.
_NEWLINES = re.compile(r"\r\n|\r")


def _messages_html(messages: list[selectors.PublicMessage]) -> str:
    """The donors' public messages: up to fifty items, built without a template loop.

    The markup linebreaksbr and format_html_join would make, escaped by the same
    function (django.utils.html.escape is html.escape), without their per-call cost.
    """
    anonymous = gettext("Un donateur anonyme")
    return mark_safe("\n".join(_message_item(message.text, anonymous if message.author is None else message.author) for message in messages))


def _message_item(text: str, author: str) -> str:
    text_html = escape_html(_NEWLINES.sub("\n", text)).replace("\n", "<br>")
    return f"<li><blockquote>{text_html}</blockquote> <cite>{escape_html(author)}</cite></li>"


def donation_block_context(*, campaign, csrf_token, form=None, field_errors=None, error="", with_progress=True, public_messages=None) -> dict:
    """What BLOCK_TEMPLATE shows: progress, the form while the campaign is live, public messages.

    The campaign page includes the template with this context itself (one template render less),
    and passes the messages it read with the campaign (else they are read here).
    """
    if public_messages is None:
        public_messages = selectors.donation_list_public_messages(campaign=campaign)
    remaining = max(0, campaign.optimum_goal_cents - campaign.raised_cents)
    presets = [cents for cents in DONATION_PRESETS_CENTS if cents <= remaining]
    field_errors = field_errors or {}
    return {
        "campaign": campaign,
        "with_progress": with_progress,
        "csrf_token": csrf_token,
        "is_open": campaign.status == Status.LIVE and remaining >= MINIMUM_DONATION_CENTS,
        "remaining_cents": remaining,
        "minimum_cents": MINIMUM_DONATION_CENTS,
        "presets": presets,
        "presets_html": _presets_html(presets),
        "public_messages_html": _messages_html(public_messages),
        "stripe_js_url": settings.STRIPE_JS_URL,
        "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        "form": form,
        "field_errors": field_errors,
        # A form sent back with what the donor typed is rendered in full; an empty one is the same everywhere.
        "fields_html": _empty_form_fields() if form is None and not field_errors else None,
        "error": error,
    }


def _presets_html(presets: list[int]) -> str:
    # The second amount is the one chosen in advance.
    checked = mark_safe(" checked")
    return format_html_join(
        "\n      ",
        '<label><input type="radio" name="amount_choice" value="{}"{}> {}</label>',
        ((cents, checked if position == 1 else "", format_euros(cents)) for position, cents in enumerate(presets)),
    )


@register.inclusion_tag(BLOCK_TEMPLATE, takes_context=True)
def donation_block(context, campaign=None, form=None, field_errors=None, error="", with_progress=True):
    """{% donation_block campaign %}: the donation block (see donation_block_context), with the form the donor sent back."""
    return donation_block_context(
        campaign=campaign or context.get("campaign"),
        csrf_token=context.get("csrf_token"),
        form=form if form is not None else context.get("form"),
        field_errors=field_errors if field_errors is not None else context.get("field_errors"),
        error=error or context.get("error", ""),
        with_progress=with_progress,
    )


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
