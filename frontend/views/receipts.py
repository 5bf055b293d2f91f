"""The AD's tax receipt pages (treasurers of that AD and federation admins only) and
the donor's signed download link (no account needed)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from frontend.views.utils import forbid_if_refused, show_application_error
from trousse.accounts.models import DepartmentalAssociation
from trousse.accounts.selectors import actor_scope
from trousse.exceptions import ApplicationError
from trousse.payments.models import DonorType, TaxReceiptStatus
from trousse.payments.receipt_pdf import render_tax_receipt_pdf
from trousse.payments.tax_receipts import (
    tax_receipt_from_token,
    tax_receipt_issue_annual,
    tax_receipt_list_for_actor,
    tax_receipt_pdf_bytes,
    tax_receipt_years,
    tax_receipts_write_csv,
    tax_receipts_year_totals,
)
from trousse.privacy.services import personal_data_access_log

RECEIPTS_PER_PAGE = 50


class AnnualReceiptForm(forms.Form):
    donor_email = forms.EmailField(label=gettext_lazy("Adresse e-mail du donateur"))
    year = forms.IntegerField(label=gettext_lazy("Année des dons"), min_value=2000)
    donor_type = forms.ChoiceField(
        label=gettext_lazy("Le donateur a donné en tant que"),
        choices=[("", gettext_lazy("particulier ou entreprise (un seul des deux)")), *DonorType.choices],
        required=False,
    )


def _treasurer_ad(request, ad_number: str) -> DepartmentalAssociation:
    """The AD, if the user is one of its treasurers or a federation admin; else 404 (nothing to learn here)."""
    ad = DepartmentalAssociation.objects.filter(number=ad_number).first()
    if ad is None or not actor_scope(request.user).is_treasurer_of(ad.pk):
        raise Http404(_("Page introuvable."))
    return ad


def _year_from(request) -> int:
    try:
        year = int(request.GET.get("annee", ""))
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= timezone.localdate().year + 1 else timezone.localdate().year


@login_required
@require_GET
def receipts_index(request):
    """Where the dashboard links to: the user's AD page, or the choice between several."""
    scope = actor_scope(request.user)
    ads = DepartmentalAssociation.objects.all() if scope.is_federation_admin else DepartmentalAssociation.objects.filter(pk__in=scope.treasurer_of)
    ads = list(ads.order_by("number"))
    if not ads:
        raise Http404(_("Page introuvable."))
    if len(ads) == 1:
        return redirect("ad_receipts", ad_number=ads[0].number)
    return render(request, "frontend/receipts/index.html", {"ads": ads})


def _ad_page(request, ad: DepartmentalAssociation, *, year: int, form: AnnualReceiptForm, status: int = 200):
    receipts = tax_receipt_list_for_actor(actor=request.user, ad=ad, year=year)
    page = Paginator(receipts, RECEIPTS_PER_PAGE).get_page(request.GET.get("page"))
    # The page shows donors' names and addresses: the receipts on it are logged (and evaluated once, for the template too).
    personal_data_access_log(actor=request.user, purpose="tax_receipts", receipts=page.object_list, request=request)
    years = tax_receipt_years(ad=ad)
    if year not in years:
        years = sorted({*years, year}, reverse=True)
    context = {
        "ad": ad,
        "year": year,
        "years": years,
        "totals": tax_receipts_year_totals(ad=ad, year=year),
        "page": page,
        "form": form,
        "cancelled": TaxReceiptStatus.CANCELLED,
    }
    return render(request, "frontend/receipts/ad_receipts.html", context, status=status)


@login_required
@require_GET
def ad_receipts(request, ad_number: str):
    ad = _treasurer_ad(request, ad_number)
    year = _year_from(request)
    # The consolidated receipt is asked for early in the next year, for the year before.
    default_year = timezone.localdate().year - 1 if timezone.localdate().month <= 3 else timezone.localdate().year
    return _ad_page(request, ad, year=year, form=AnnualReceiptForm(initial={"year": default_year}))


@login_required
@require_POST
def ad_receipt_annual(request, ad_number: str):
    ad = _treasurer_ad(request, ad_number)
    form = AnnualReceiptForm(request.POST)
    if form.is_valid():
        try:
            receipt = tax_receipt_issue_annual(
                actor=request.user,
                ad=ad,
                donor_email=form.cleaned_data["donor_email"],
                year=form.cleaned_data["year"],
                donor_type=form.cleaned_data["donor_type"] or None,
            )
        except ApplicationError as error:
            forbid_if_refused(error)
            show_application_error(error, form)
        else:
            personal_data_access_log(actor=request.user, purpose="tax_receipts", receipts=[receipt], request=request)
            count = receipt.donations.count()
            messages.success(
                request,
                ngettext(
                    "Reçu annuel n° %(number)s émis pour %(count)s don ; il est envoyé au donateur par e-mail.",
                    "Reçu annuel n° %(number)s émis pour %(count)s dons ; il est envoyé au donateur par e-mail.",
                    count,
                )
                % {"number": receipt.number, "count": count},
            )
            return redirect(f"{reverse('ad_receipts', kwargs={'ad_number': ad.number})}?annee={receipt.year}")
    return _ad_page(request, ad, year=timezone.localdate().year, form=form, status=400)


@login_required
@require_GET
def ad_receipts_csv(request, ad_number: str, year: int):
    ad = _treasurer_ad(request, ad_number)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="recus-fiscaux-occe{ad.number}-{year}.csv"'
    # A byte-order mark, so that spreadsheets open the accents right.
    response.write("\ufeff")
    # The whole year's donors at once: one row for the AD's year rather than one per donation.
    personal_data_access_log(actor=request.user, purpose="tax_receipts", ad=ad, request=request)
    tax_receipts_write_csv(ad=ad, year=year, out=response)
    return response


@login_required
@require_GET
def ad_receipt_pdf(request, ad_number: str, number: str):
    ad = _treasurer_ad(request, ad_number)
    receipt = get_object_or_404(tax_receipt_list_for_actor(actor=request.user, ad=ad), number=number)
    personal_data_access_log(actor=request.user, purpose="tax_receipts", receipts=[receipt], request=request)
    return _pdf_response(receipt)


def _pdf_response(receipt) -> HttpResponse:
    if receipt.status == TaxReceiptStatus.CANCELLED:
        # The stored file is the receipt as sent; the AD sees it stamped as cancelled.
        data = render_tax_receipt_pdf(receipt)
    else:
        data = tax_receipt_pdf_bytes(receipt)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="recu-fiscal-{receipt.number}.pdf"'
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def tax_receipt_download(request, token: str):
    """The donor's link, from the e-mail: works without an account; a tampered link is a 404."""
    receipt = tax_receipt_from_token(token)
    if receipt.status == TaxReceiptStatus.CANCELLED:
        # Never hand out a cancelled receipt as if it were valid.
        return render(request, "frontend/receipts/cancelled.html", {"receipt": receipt}, status=410)
    return _pdf_response(receipt)

