"""Public pages: the home listing and the campaign page (no account needed)."""

import hashlib
import json

from django.core.cache import cache
from django.core.paginator import Paginator
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from frontend.forms import CampaignFilterForm, department_choices
from trousse.campaigns.cache import public_cache_key
from trousse.campaigns.models import Status
from trousse.campaigns.selectors import campaign_get_public, campaign_list_public

HOME_PAGE_SIZE = 12
# Versions are bumped on every change; the timeout only keeps "days left" fresh.
PUBLIC_CACHE_SECONDS = 600


def _digest(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:24]


@require_GET
def home(request):
    departments = list(department_choices())
    form = CampaignFilterForm(request.GET or None, departments=departments)
    filters = form.filters() if form.is_bound else {"department": None, "theme": None, "level": None, "query": None}
    page_number = request.GET.get("page") or "1"
    # The listing holds no CSRF token nor anything personal: one copy per filters and page
    # (the key carries the language and the listing's version).
    key = public_cache_key(f"home:{_digest([filters, page_number])}")
    listing = cache.get(key)
    if listing is None:
        paginator = Paginator(campaign_list_public(**filters), HOME_PAGE_SIZE)
        page = paginator.get_page(page_number)
        query = request.GET.copy()
        query.pop("page", None)
        listing = render_to_string(
            "frontend/public/_campaign_list.html",
            {"page": page, "campaigns": page.object_list, "querystring": query.urlencode(), "today": timezone.localdate()},
        )
        cache.set(key, listing, PUBLIC_CACHE_SECONDS)
    return render(request, "frontend/public/home.html", {"form": form, "listing": mark_safe(listing), "filtered": any(filters.values())})


@require_GET
def campaign_detail(request, slug):
    campaign = campaign_get_public(slug=slug)
    # Story, pictures, budget and news are cached; the progress and the donation
    # block (it holds a CSRF token) are rendered on every request.
    key = public_cache_key("campaign_body", campaign.pk)
    body = cache.get(key)
    if body is None:
        body = render_to_string("frontend/public/_campaign_body.html", {"campaign": campaign})
        cache.set(key, body, PUBLIC_CACHE_SECONDS)
    today = timezone.localdate()
    images = list(campaign.images.all())
    context = {
        "campaign": campaign,
        "body": mark_safe(body),
        "cover": images[0] if images else None,
        "is_live": campaign.status == Status.LIVE,
        "days_left": max(0, (campaign.deadline - today).days) if campaign.status == Status.LIVE else None,
    }
    return render(request, "frontend/public/campaign_detail.html", context)
