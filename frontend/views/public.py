"""Public pages: the home listing and the campaign page (no account needed).

Both are served from the shared cache (trousse.campaigns.cache), built once per
language, host and version:

- an anonymous visitor with nothing pending (no message to show) gets a whole
  cached page after one cache round trip; only the CSRF token differs between
  visitors, so pages are cached with a random placeholder in its place and the
  visitor's own masked token is written in on the way out;
- anyone else (signed in, messages waiting, a query string on the campaign
  page) gets the cached content put in the site's frame (base.html) for them.

The campaign page's copy is found without touching the database: every
service that changes what the page shows (a donation credited or refunded, a
status change, an edit, a picture) bumps the campaign's cache version on
commit, and the copy is keyed by that version, so the progress bar moves with
the first request after the commit and a campaign that stops being public is a
404 at once. A missed bump (an edit in the admin) is bounded by the timeout.
"""

import hashlib
import secrets
from html import escape as escape_html
from urllib.parse import quote

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control, patch_vary_headers
from django.utils.html import format_html, format_html_join
from django.utils.http import parse_etags, quote_etag
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from frontend.forms import CampaignFilterForm, department_choices
from frontend.templatetags.donations import donation_block_context
from trousse.campaigns.cache import public_cache_get, public_cache_set
from trousse.campaigns.models import Status
from trousse.campaigns.selectors import CampaignPage, campaign_cards_public, campaign_get_public_id, campaign_page_public
from trousse.money import format_euros
from trousse.payments.selectors import donation_public_messages_page_list, public_messages_from_rows

HOME_PAGE_SIZE = 12
# Versions are bumped on every change; the timeout bounds what a missed bump
# (an admin edit, a new département) can leave stale.
PUBLIC_CACHE_SECONDS = 600
# The campaign page's progress relies on the bump alone: a bump lost to a Redis blip
# leaves it behind for two minutes at most.
CAMPAIGN_PROGRESS_SECONDS = 120
# Longer query strings are served but not cached: nobody fills the cache with junk keys.
MAX_CACHED_QUERY_LENGTH = 300
# The donors' public messages, read with the campaign (CampaignPage.lists).
DONOR_MESSAGES = "donor_messages"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _site(request) -> str:
    # Open Graph and share links are absolute: a copy built for one host is not served on another.
    return _digest(f"{request.scheme}://{request.get_host()}")


def _shared_copy_allowed(request) -> bool:
    """True when the page is the same as every anonymous visitor's, but for the CSRF token."""
    if request.user.is_authenticated:
        return False
    # len() loads pending messages without marking them read (iterating would).
    return not len(messages.get_messages(request))


def _new_entry() -> dict:
    # The placeholder is random per copy: text typed into a campaign cannot predict it.
    return {"sentinel": secrets.token_hex(16), "tag": secrets.token_hex(8)}


def _page(request, template: str, context: dict, entry: dict) -> str:
    return render_to_string(template, {**context, "csrf_token": entry["sentinel"]}, request=request)


def _respond(request, html: str, entry: dict, *, shared: bool) -> HttpResponse:
    """The page with the visitor's CSRF token in place of the placeholder, and HTTP caching headers."""
    token = get_token(request)
    if not shared:
        response = HttpResponse(html.replace(entry["sentinel"], token))
        # Signed in or with messages: nobody keeps a copy of this one.
        add_never_cache_headers(response)
        return response
    # The ETag covers the cached copy and the visitor's CSRF secret: a browser revalidating
    # with the same cookie keeps a copy whose token still matches it.
    etag = quote_etag(_digest(f"{entry['tag']}:{request.META.get('CSRF_COOKIE', '')}"))
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(html.replace(entry["sentinel"], token))
    response["ETag"] = etag
    # private: the page carries a CSRF token tied to this visitor's cookie; no-cache: always
    # revalidate, so the progress bar is current right after a donation.
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ("Cookie", "Accept-Language"))
    return response


# --------------------------------------------------------------------------- home


def _select(field) -> str:
    """A <select> as Django's widget renders it, without one template render per option (a hundred départements).

    Escaped by the function django.utils.html.escape wraps (html.escape), without format_html's per-call cost.
    """
    current = field.value()
    current = "" if current is None else str(current)
    options = "".join(
        f'<option value="{escape_html(str(value))}"{" selected" if str(value) == current else ""}>{escape_html(str(label))}</option>'
        for value, label in field.field.choices
    )
    return format_html('<select name="{}" id="{}">{}</select>', field.html_name, field.auto_id, mark_safe(options))


def _home_content(request) -> str:
    departments = department_choices()
    form = CampaignFilterForm(request.GET or None, departments=departments)
    filters = form.filters() if form.is_bound else {"department": None, "theme": None, "level": None, "query": None}
    paginator = Paginator(campaign_cards_public(**filters), HOME_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page") or "1")
    query = request.GET.copy()
    query.pop("page", None)
    return render_to_string(
        "frontend/public/_home_content.html",
        {"form": form, "selects": {name: _select(form[name]) for name in ("departement", "theme", "level")}, "filtered": any(filters.values()), "page": page, "campaigns": page.object_list, "querystring": query.urlencode()},
    )


@require_GET
def home(request):
    shared = _shared_copy_allowed(request)
    query = request.META.get("QUERY_STRING", "")
    cacheable = len(query) <= MAX_CACHED_QUERY_LENGTH
    # The content depends on the query string and the listing's version only.
    name = f"{_site(request)}:{_digest(query)}"
    if shared and cacheable:
        entry, page_slot = public_cache_get(f"home-page:{name}")
        if entry is not None:
            return _respond(request, entry["page"], entry, shared=True)
    content, content_slot = public_cache_get(f"home-content:{name}") if cacheable else (None, None)
    if content is None:
        content = _home_content(request)
        if content_slot is not None:
            public_cache_set(content_slot, content, PUBLIC_CACHE_SECONDS)
    entry = _new_entry()
    entry["page"] = _page(request, "frontend/public/home.html", {"content": mark_safe(content)}, entry)
    if shared and cacheable:
        # What every anonymous visitor of this address sees (base.html's language form echoes the path).
        public_cache_set(page_slot, entry, PUBLIC_CACHE_SECONDS)
    return _respond(request, entry["page"], entry, shared=shared)


# --------------------------------------------------------------------------- campaign page


def _campaign_parts(request, page: CampaignPage) -> dict:
    """What depends on the campaign's text only (its version): cached across donations."""
    campaign, cover = page.campaign, page.cover
    # Open Graph and share links leave the site: absolute addresses.
    page_url = request.build_absolute_uri(reverse("campaign_detail", args=[campaign.slug]))
    context = {
        "campaign": campaign,
        "page": page,
        "cover": cover,
        "page_url": page_url,
        "cover_url": request.build_absolute_uri(cover.large_url) if cover else "",
        "budget_rows": _budget_rows(page.budget_lines),
        # What the share links carry, every character encoded (the urlencode:'' filter).
        "share": {"title": quote(campaign.title, safe=""), "summary": quote(campaign.summary, safe=""), "url": quote(page_url, safe="")},
    }
    # No request: these parts need none of the context processors' variables.
    return {
        "title": campaign.title,
        "meta": render_to_string("frontend/public/_campaign_meta.html", context),
        "main": render_to_string("frontend/public/_campaign_main.html", context),
        "body": render_to_string("frontend/public/_campaign_body.html", context),
        "share": render_to_string("frontend/public/_campaign_share.html", context),
    }


def _budget_rows(lines) -> str:
    """The budget table's rows, without a template loop (a campaign may have dozens of lines)."""
    rows = ((line.label, line.category_label, format_euros(line.amount_cents)) for line in lines)
    return format_html_join("\n      ", '<tr><td>{}</td><td>{}</td><td class="num">{}</td></tr>', rows)


def _campaign_aside(page: CampaignPage, sentinel: str) -> str:
    """Progress and the donation block: they change with every donation (and every day: days left)."""
    campaign = page.campaign
    is_live = campaign.status == Status.LIVE
    context = {
        **donation_block_context(
            campaign=campaign, csrf_token=sentinel, with_progress=False, public_messages=public_messages_from_rows(page.lists[DONOR_MESSAGES])
        ),
        "page": page,
        "is_live": is_live,
        "days_left": max(0, (campaign.deadline - timezone.localdate()).days) if is_live else None,
    }
    return render_to_string("frontend/public/_campaign_aside.html", context)


@require_GET
def campaign_detail(request, slug):
    campaign_id = campaign_get_public_id(slug=slug)
    shared = _shared_copy_allowed(request)
    # A query string (?utm_source=…) is echoed by base.html's language form: not the shared copy.
    whole_page = shared and not request.META.get("QUERY_STRING")
    site = _site(request)
    # Per day too: the page counts the days left.
    name = f"{site}:{timezone.localdate().isoformat()}"
    if whole_page:
        entry, page_slot = public_cache_get(f"campaign-page:{name}", campaign_id)
        if entry is not None:
            return _respond(request, entry["page"], entry, shared=True)

    aside, aside_slot = public_cache_get(f"campaign-aside:{name}", campaign_id)
    parts, parts_slot = public_cache_get(f"campaign-parts:{site}", campaign_id)
    page = None
    if aside is None or parts is None:
        page = campaign_page_public(campaign_id=campaign_id, lists={DONOR_MESSAGES: donation_public_messages_page_list()})
    if parts is None:
        parts = _campaign_parts(request, page)
        public_cache_set(parts_slot, parts, PUBLIC_CACHE_SECONDS)
    if aside is None:
        aside = {"sentinel": secrets.token_hex(16)}
        aside["html"] = _campaign_aside(page, aside["sentinel"])
        public_cache_set(aside_slot, aside, CAMPAIGN_PROGRESS_SECONDS)
    entry = {**_new_entry(), "sentinel": aside["sentinel"]}
    context = {
        "title": parts["title"],
        "parts": {part: mark_safe(html) for part, html in parts.items() if part != "title"},
        "aside": mark_safe(aside["html"]),
    }
    entry["page"] = _page(request, "frontend/public/campaign_detail.html", context, entry)
    if whole_page:
        public_cache_set(page_slot, entry, CAMPAIGN_PROGRESS_SECONDS)
    return _respond(request, entry["page"], entry, shared=shared)
