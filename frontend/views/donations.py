"""Donating (no account), the donor's return page, and the donors of a campaign for its people."""

from __future__ import annotations

import csv

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trousse.campaigns.models import PUBLIC_STATUSES, Campaign
from trousse.exceptions import ApplicationError
from trousse.money import parse_euros
from trousse.payments import gateway, selectors, services
from trousse.payments.models import DonationStatus, DonorType, PaymentMethod
from trousse.payments.ratelimits import DonationRateLimited, donation_create_counted
from trousse.privacy.services import personal_data_access_log


class DonationForm(forms.Form):
    """Reads what the donor typed; the rules (minimum, optimum, SIRET, address) live in donation_create."""

    amount_choice = forms.CharField(required=False)
    amount_other = forms.CharField(required=False, label=gettext_lazy("Autre montant (€)"))
    method = forms.ChoiceField(choices=PaymentMethod.choices, initial=PaymentMethod.CARD, label=gettext_lazy("Moyen de paiement"))
    card_payment_method = forms.CharField(required=False, widget=forms.HiddenInput)
    iban = forms.CharField(required=False, max_length=42, label=gettext_lazy("IBAN"))
    donor_type = forms.ChoiceField(choices=DonorType.choices, initial=DonorType.INDIVIDUAL, label=gettext_lazy("Vous donnez en tant que"))
    first_name = forms.CharField(max_length=100, required=False, label=gettext_lazy("Prénom"))
    last_name = forms.CharField(max_length=100, required=False, label=gettext_lazy("Nom"))
    email = forms.CharField(max_length=254, required=False, label=gettext_lazy("Adresse e-mail"))
    company_name = forms.CharField(max_length=200, required=False, label=gettext_lazy("Raison sociale"))
    siret = forms.CharField(max_length=20, required=False, label=gettext_lazy("SIRET"))
    address_line = forms.CharField(max_length=250, required=False, label=gettext_lazy("Adresse"))
    postal_code = forms.CharField(max_length=10, required=False, label=gettext_lazy("Code postal"))
    city = forms.CharField(max_length=120, required=False, label=gettext_lazy("Commune"))
    wants_tax_receipt = forms.BooleanField(required=False)
    is_parent_of_pupil = forms.BooleanField(required=False)
    counterpart = forms.CharField(max_length=20, required=False)
    public_message = forms.CharField(max_length=500, required=False, widget=forms.Textarea, label=gettext_lazy("Message public (facultatif)"))
    is_anonymous = forms.BooleanField(required=False)

    def counterpart_cents(self) -> int:
        text = (self.cleaned_data.get("counterpart") or "").strip()
        if not text:
            return 0
        try:
            return parse_euros(text)
        except ApplicationError as error:
            raise ApplicationError(error.message, field_errors={"counterpart": error.message}) from None

    def amount_cents(self) -> int:
        choice = (self.cleaned_data.get("amount_choice") or "").strip()
        # isascii: "²" is a digit to str.isdigit, not to int().
        if choice.isascii() and choice.isdigit():
            return int(choice)
        text = (self.cleaned_data.get("amount_other") or "").strip()
        if not text:
            raise ApplicationError(_("Choisissez un montant."), field_errors={"amount": _("Choisissez ou saisissez un montant.")})
        try:
            return parse_euros(text)
        except ApplicationError as error:
            raise ApplicationError(error.message, field_errors={"amount": error.message}) from None


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _public_campaign(slug: str) -> Campaign:
    campaign = Campaign.objects.select_related("cooperative__ad").filter(slug=slug, status__in=PUBLIC_STATUSES).first()
    if campaign is None:
        raise Http404
    return campaign


@require_GET
def donation_page(request: HttpRequest, slug: str) -> HttpResponse:
    """A page of its own for giving to a campaign (the campaign page shows the same block)."""
    campaign = _public_campaign(slug)
    return render(request, "frontend/donations/donate.html", {"campaign": campaign})


@require_POST
def donation_create(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _public_campaign(slug)
    form = DonationForm(request.POST)
    try:
        if not form.is_valid():
            raise ApplicationError(_("Le don n'a pas pu être enregistré : vérifiez les champs signalés."), field_errors={k: v[0] for k, v in form.errors.items()})
        data = dict(form.cleaned_data)
        amount_cents = form.amount_cents()
        card_payment_method, iban = data.pop("card_payment_method"), data.pop("iban")
        data.pop("amount_choice"), data.pop("amount_other")
        data["counterpart_cents"] = form.counterpart_cents()
        data.pop("counterpart")
        # Counted only now, when the attempt is about to reach Stripe: a refused form costs nothing.
        donation, card_payment_method, iban = donation_create_counted(
            request, campaign=campaign, amount_cents=amount_cents, card_payment_method=card_payment_method, iban=iban, **data
        )
        start = services.donation_payment_start(
            donation=donation,
            card_payment_method=card_payment_method,
            iban=iban,
            ip_address=request.META.get("REMOTE_ADDR", ""),
            user_agent=request.headers.get("User-Agent", "")[:300],
        )
    except DonationRateLimited as error:
        if _wants_json(request):
            response = JsonResponse({"detail": error.message}, status=429)
        else:
            response = render(request, "frontend/error.html", {"title": _("Trop de tentatives"), "message": error.message}, status=429)
        response["Retry-After"] = str(error.wait_seconds)
        return response
    except ApplicationError as error:
        if _wants_json(request):
            return JsonResponse({"detail": error.message, "fields": error.field_errors}, status=error.status_code)
        return render(
            request, "frontend/donations/donate.html", {"campaign": campaign, "form": form, "error": error.message, "field_errors": error.field_errors}, status=error.status_code
        )
    return_url = reverse("donation_return", kwargs={"public_id": start.donation.public_id})
    if _wants_json(request):
        return JsonResponse(
            {
                "public_id": str(start.donation.public_id),
                "status": start.donation.status,
                "client_secret": start.client_secret,
                "requires_action": start.requires_action,
                "declined": start.declined,
                "message": start.message,
                "return_url": return_url,
            },
            status=201,
        )
    return redirect(return_url)


@require_GET
def donation_return(request: HttpRequest, public_id) -> HttpResponse:
    """Where the donor lands: the PaymentIntent's state is applied here too, so a lost webhook loses nothing."""
    donation = selectors.donation_get_public(public_id=public_id)
    if donation.status in (DonationStatus.PENDING, DonationStatus.PROCESSING) and donation.stripe_payment_intent_id:
        try:
            intent = gateway.payment_intent_retrieve(donation.stripe_payment_intent_id)
        except gateway.GatewayError:
            intent = None  # Stripe unreachable: show what we know; the webhook or reconciliation will follow
        if intent is not None:
            donation = services.donation_apply_payment_intent(intent=intent, source="return", donation_id=donation.pk) or donation
            donation = selectors.donation_get_public(public_id=public_id)
    if donation.status in (DonationStatus.SUCCEEDED, DonationStatus.PARTIALLY_REFUNDED, DonationStatus.REFUNDED, DonationStatus.DISPUTED):
        outcome = "thanks"
    elif donation.status in (DonationStatus.PENDING, DonationStatus.PROCESSING):
        outcome = "processing"
    else:
        outcome = "failed"
    context = {"donation": donation, "campaign": donation.campaign, "outcome": outcome, "can_refund": selectors.can_refund_donation(request.user, donation)}
    return render(request, "frontend/donations/return.html", context)


@require_GET
def campaign_donors(request: HttpRequest, slug: str) -> HttpResponse:
    """The donors of a campaign: teacher (anonymous amounts hidden), mandataire, AD; anyone else gets a 404."""
    campaign, visibility = selectors.campaign_get_for_donations(actor=request.user, slug=slug)
    donations = selectors.donation_list_for_actor(actor=request.user, campaign=campaign)
    # Evaluates the queryset once: the template reads the same rows that were logged.
    personal_data_access_log(actor=request.user, purpose="donor_list", donations=donations, request=request)
    return render(
        request,
        "frontend/donations/donors.html",
        {"campaign": campaign, "donations": donations, "full": visibility == selectors.DONORS_FULL, "can_refund": selectors.can_refund_campaign_donations(request.user, campaign)},
    )


CSV_COLUMNS = [
    ("date", gettext_lazy("date")),
    ("status", gettext_lazy("état")),
    ("amount", gettext_lazy("montant (€)")),
    ("refunded", gettext_lazy("remboursé (€)")),
    ("method", gettext_lazy("moyen de paiement")),
    ("donor_type", gettext_lazy("type de donateur")),
    ("first_name", gettext_lazy("prénom")),
    ("last_name", gettext_lazy("nom")),
    ("company_name", gettext_lazy("raison sociale")),
    ("siret", gettext_lazy("SIRET")),
    ("email", gettext_lazy("e-mail")),
    ("address", gettext_lazy("adresse")),
    ("postal_code", gettext_lazy("code postal")),
    ("city", gettext_lazy("commune")),
    ("tax_receipt", gettext_lazy("reçu fiscal demandé")),
    ("parent", gettext_lazy("parent d'élève")),
    ("anonymous", gettext_lazy("anonyme")),
    ("message", gettext_lazy("message")),
    ("reference", gettext_lazy("référence")),
]


def _csv_cell(value: str) -> str:
    # Spreadsheets run cells that start with = + - @ as formulas: a donor's message must stay text.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _decimal_euros(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


@require_GET
def campaign_donations_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """The donations as CSV (semicolons, decimal commas: what French spreadsheets open), for the mandataire and the AD."""
    campaign, visibility = selectors.campaign_get_for_donations(actor=request.user, slug=slug)
    if visibility != selectors.DONORS_FULL:
        raise PermissionDenied
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="dons-{campaign.slug}-{timezone.localdate():%Y-%m-%d}.csv"'
    response.write("\ufeff")  # BOM: Excel reads the accents right
    writer = csv.writer(response, delimiter=";")
    writer.writerow([str(label) for _key, label in CSV_COLUMNS])
    yes, no = _("oui"), _("non")
    personal_data_access_log(
        actor=request.user,
        purpose="donations_export",
        donations=selectors.donation_list_for_actor(actor=request.user, campaign=campaign).values_list("pk", flat=True),
        request=request,
    )
    for d in selectors.donation_list_for_actor(actor=request.user, campaign=campaign).iterator():
        row = [
            timezone.localtime(d.succeeded_at or d.created_at).strftime("%d/%m/%Y"),
            d.get_status_display(),
            _decimal_euros(d.amount_cents),
            _decimal_euros(d.refunded_cents),
            d.get_method_display(),
            d.get_donor_type_display(),
            d.first_name,
            d.last_name,
            d.company_name,
            d.siret,
            d.email,
            d.address_line,
            d.postal_code,
            d.city,
            yes if d.wants_tax_receipt else no,
            yes if d.is_parent_of_pupil else no,
            yes if d.is_anonymous else no,
            d.public_message,
            str(d.public_id),
        ]
        writer.writerow([_csv_cell(str(cell)) for cell in row])
    return response


class RefundForm(forms.Form):
    amount = forms.CharField(required=False, label=gettext_lazy("Montant à rembourser (€, vide : tout ce qui reste)"))
    reason = forms.CharField(max_length=300, label=gettext_lazy("Motif"))


@require_http_methods(["GET", "POST"])
def donation_refund(request: HttpRequest, public_id) -> HttpResponse:
    """The AD treasurer refunds one donation, fully or partly, with a reason."""
    donation = selectors.donation_get_for_actor(actor=request.user, public_id=public_id)
    if not selectors.can_refund_donation(request.user, donation):
        raise PermissionDenied
    form = RefundForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            amount_text = form.cleaned_data["amount"].strip()
            amount_cents = parse_euros(amount_text) if amount_text else None
            services.donation_refund(actor=request.user, donation=donation, amount_cents=amount_cents, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(request, _("Le remboursement est demandé à Stripe ; le donateur est prévenu par e-mail."))
            return redirect("campaign_donors", slug=donation.campaign.slug)
    refundable = services.donation_refundable_cents(donation=donation)
    return render(request, "frontend/donations/refund.html", {"donation": donation, "form": form, "error": error, "refundable": refundable}, status=400 if error else 200)
