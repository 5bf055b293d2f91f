"""Donors' data (no account: a signed link by e-mail), the teacher's choice on pupils' pictures,
and the staff's access log."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from frontend.views.errors import ratelimited
from frontend.views.utils import forbid_if_refused, show_application_error
from trousse.campaigns.selectors import campaign_get_for_actor, is_campaign_insider
from trousse.exceptions import ApplicationError
from trousse.privacy import selectors, services

ACCESS_LOG_PAGE_SIZE = 50


class DonorDataRequestForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Votre adresse e-mail"), max_length=254, help_text=gettext_lazy("Celle que vous avez indiquée en faisant votre don."))


class PictureRetentionForm(forms.Form):
    keep_with_consent = forms.BooleanField(
        label=gettext_lazy(
            "Les familles des élèves reconnaissables ont donné leur accord pour que les photos restent en ligne après la fin du projet."
        ),
        required=False,
    )


def _private(response):
    """Pages reached by a personal link: never cached, never indexed, never leaking the link."""
    response["Cache-Control"] = "no-store, private"
    # same-origin, not no-referrer: with no-referrer, browsers send "Origin: null" on the
    # page's own forms and the CSRF check refuses the erasure. Other sites still get nothing.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- the donor -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def donor_data_request(request):
    form = DonorDataRequestForm(request.POST or None)
    if request.method == "POST":
        # Per address and per IP: nobody floods an inbox nor probes addresses in bulk.
        if is_ratelimited(request, group="privacy-request", key="ip", rate="5/m", method="POST", increment=True):
            return ratelimited(request)
        if form.is_valid():
            try:
                services.donor_data_link_request(email=form.cleaned_data["email"], language=request.LANGUAGE_CODE)
            except ApplicationError as error:
                show_application_error(error, form)
            else:
                return redirect("privacy_request_sent")
    return render(request, "frontend/privacy/request.html", {"form": form}, status=400 if form.errors else 200)


@require_GET
def donor_data_request_sent(request):
    return render(request, "frontend/privacy/request_sent.html")


def _data_request(request, token):
    try:
        return services.donor_data_request_from_token(token)
    except Http404:
        return None


def _invalid_link(request):
    return _private(render(request, "frontend/privacy/link_invalid.html", status=404))


def _donor_page(request, data_request, *, error: str = "", status: int = 200):
    donations = list(selectors.donor_donations(email=data_request.email))
    receipts = list(services.donor_receipts(email=data_request.email))
    context = {
        "token": request.resolver_match.kwargs["token"],
        "email": data_request.email,
        "donations": donations,
        "receipts": receipts,
        "blocked": any(donation.status in services.IN_FLIGHT_STATUSES for donation in donations),
        "erased": data_request.erased_at is not None,
        "error": error,
    }
    return _private(render(request, "frontend/privacy/donor_data.html", context, status=status))


@never_cache
@require_GET
def donor_data(request, token):
    data_request = _data_request(request, token)
    if data_request is None:
        return _invalid_link(request)
    return _donor_page(request, data_request)


@never_cache
@require_GET
def donor_data_download(request, token):
    data_request = _data_request(request, token)
    if data_request is None:
        return _invalid_link(request)
    response = JsonResponse(selectors.donor_data_export(email=data_request.email), json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = 'attachment; filename="mes-donnees-la-trousse.json"'
    return _private(response)


@require_POST
def donor_data_erase(request, token):
    data_request = _data_request(request, token)
    if data_request is None:
        return _invalid_link(request)
    try:
        result = services.donor_data_erase(email=data_request.email, data_request=data_request)
    except ApplicationError as error:
        return _donor_page(request, data_request, error=error.message, status=error.status_code)
    if result.receipts_kept:
        messages.success(
            request,
            _(
                "Vos données personnelles ont été effacées de vos dons. Vos reçus fiscaux sont conservés tels qu'ils ont été émis, "
                "comme la loi l'exige."
            ),
        )
    else:
        messages.success(request, _("Vos données personnelles ont été effacées."))
    return redirect("privacy_donor_data", token=token)


# --- the teacher: pupils' pictures -----------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def picture_retention(request, slug):
    campaign = campaign_get_for_actor(actor=request.user, slug=slug)
    if not is_campaign_insider(request.user, campaign):
        # A public campaign of someone else: it exists, but this is not theirs to decide.
        raise PermissionDenied
    retention = selectors.picture_retention_for(campaign=campaign)
    form = PictureRetentionForm(request.POST or None, initial={"keep_with_consent": bool(retention and retention.keep_with_consent)})
    may_decide = selectors.can_set_picture_retention(request.user, campaign)
    if request.method == "POST":
        if not may_decide:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.picture_retention_set(actor=request.user, campaign=campaign, keep_with_consent=form.cleaned_data["keep_with_consent"])
            except ApplicationError as error:
                forbid_if_refused(error)
                show_application_error(error, form)
            else:
                if form.cleaned_data["keep_with_consent"]:
                    messages.success(request, _("Les photos seront conservées après la fin du projet."))
                else:
                    messages.success(request, _("Les photos seront effacées à l'échéance."))
                return redirect("picture_retention", slug=campaign.slug)
    days = services.picture_retention_days()
    context = {
        "campaign": campaign,
        "form": form,
        "retention": retention,
        "may_decide": may_decide,
        "images_count": campaign.images.count(),
        "retention_days": days,
        "retention_until": selectors.campaign_pictures_deleted_after(campaign=campaign),
    }
    return render(request, "frontend/privacy/picture_retention.html", context, status=400 if form.errors else 200)


# --- staff: the access log -------------------------------------------------------------------


@login_required
@require_GET
def access_log(request):
    if not selectors.can_read_access_log(request.user):
        raise Http404(_("Page introuvable."))
    ads = list(selectors.access_log_ads(actor=request.user))
    chosen = None
    if request.GET.get("ad"):
        chosen = next((ad for ad in ads if ad.number == request.GET["ad"]), None)
        if chosen is None:
            raise Http404(_("Page introuvable."))
    rows = selectors.personal_data_access_list_for_actor(actor=request.user, ad=chosen)
    page = Paginator(rows, ACCESS_LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "frontend/privacy/access_log.html", {"page": page, "ads": ads, "chosen": chosen})
