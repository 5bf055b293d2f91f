from dataclasses import dataclass
from urllib.parse import urlsplit

from django import template
from django.core.exceptions import DisallowedHost
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from trousse.accounts.selectors import actor_scope
from trousse.privacy.selectors import can_read_access_log

register = template.Library()


@register.simple_tag
def scope_of(user):
    """{% scope_of request.user as scope %}: the roles the navigation is built from (one query, memoised)."""
    return actor_scope(user)


@dataclass(frozen=True)
class StaffLinks:
    """Which back-office pages the menu offers; all read from the memoised scope, so no query per entry."""

    books: bool = False
    tax_receipts: bool = False
    access_log: bool = False

    def __bool__(self) -> bool:
        return self.books or self.tax_receipts or self.access_log


@register.simple_tag
def staff_links_of(user):
    """{% staff_links_of request.user as links %}: the same rights the linked pages check, so a link never leads to a 404."""
    scope = actor_scope(user)
    if not scope.is_authenticated:
        return StaffLinks()
    treasurer = bool(scope.treasurer_of) or scope.is_federation_admin
    return StaffLinks(
        # books_home lists the cooperatives a mandataire keeps and the ADs a treasurer disburses for.
        books=treasurer or bool(scope.mandataire_of),
        # receipts_index: the AD treasurers' and the federation's.
        tax_receipts=treasurer,
        access_log=can_read_access_log(user),
    )


@register.simple_tag(takes_context=True)
def absolute_url(context, path):
    """Absolute address for Open Graph and share links (they leave the site)."""
    request = context.get("request")
    if not path:
        return ""
    if str(path).startswith(("http://", "https://")):
        return path
    return request.build_absolute_uri(path) if request is not None else path


@register.filter
def lookup(mapping, key):
    """{{ review_comments|lookup:field.name }}: a dict entry by a variable key."""
    if not mapping:
        return ""
    return mapping.get(key, "")


@register.filter
def split_words(text):
    return str(text).split()


@register.filter
def field(form, name):
    """{{ form|field:name }}: a bound field by a variable name, or None when the form has no such field."""
    try:
        return form[name]
    except KeyError:
        return None


@register.filter
def review_field_label(name):
    """The label a teacher knows for a field a reviewer commented on."""
    from django.utils.text import capfirst
    from django.utils.translation import gettext

    from trousse.moderation.selectors import REVIEWABLE_FIELDS

    if name == "__all__":
        return gettext("Message")
    return capfirst(REVIEWABLE_FIELDS.get(name, name))


@register.simple_tag(takes_context=True)
def return_path(context):
    """{% return_path %}: a page the visitor can GET again, for the language switch's `next` and the error pages' links.

    Usually the current page. But a form re-displayed with its errors is the answer to a POST,
    often to a URL that accepts only POST (a new expense, a picture, a review): sending the
    visitor back there after set_language's redirect would be a GET, and a 405. Then the page
    the form was posted from (the Referer, when it is this site), else the home page.
    """
    request = context.get("request")
    if request is None:
        return reverse("home")
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.headers.get("referer", "")
    try:
        host = request.get_host()
    except DisallowedHost:
        # The 400 page of a request whose Host header is refused must still render.
        return reverse("home")
    if not url_has_allowed_host_and_scheme(referer, allowed_hosts={host}, require_https=request.is_secure()):
        return reverse("home")
    parts = urlsplit(referer)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    # "https://<this site>//elsewhere.example/" has the path "//elsewhere.example/": another site again.
    return path if url_has_allowed_host_and_scheme(path, allowed_hosts={host}) else reverse("home")
