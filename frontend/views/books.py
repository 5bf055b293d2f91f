"""The books' pages: budget versus spent, expenses and receipts, disbursements, exports, closing (owned by the books work).

Views read through trousse.ledger.selectors and write through trousse.ledger.services only.
"""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from frontend.views.utils import forbid_if_refused, show_application_error
from trousse.campaigns.models import BudgetLine, Campaign
from trousse.exceptions import ApplicationError
from trousse.ledger import exports, selectors, services
from trousse.ledger.models import ExpensePaymentMethod, ExpenseStatus, FinalReport
from trousse.money import format_euros, parse_euros


class AmountField(forms.CharField):
    """Euros as a person types them ("12,50"), read into cents without floats."""

    def clean(self, value):
        value = super().clean(value)
        try:
            return parse_euros(value)
        except ApplicationError as error:
            raise forms.ValidationError(error.message) from error


class ExpenseForm(forms.Form):
    budget_line = forms.ModelChoiceField(label=gettext_lazy("Ligne de budget"), queryset=BudgetLine.objects.none())
    date = forms.DateField(label=gettext_lazy("Date de la dépense"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    supplier = forms.CharField(label=gettext_lazy("Fournisseur"), max_length=200)
    amount = AmountField(label=gettext_lazy("Montant (€)"), max_length=20)
    payment_method = forms.ChoiceField(label=gettext_lazy("Moyen de paiement"), choices=ExpensePaymentMethod.choices)
    description = forms.CharField(label=gettext_lazy("Objet"), max_length=300, required=False)
    receipt = forms.FileField(
        label=gettext_lazy("Justificatif (photo ou PDF, 10 Mo au plus)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}),
    )

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["budget_line"].queryset = campaign.budget_lines.all()
        self.fields["date"].initial = timezone.localdate()


class ReconcileForm(forms.Form):
    statement_date = forms.DateField(label=gettext_lazy("Date sur le relevé"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    statement_label = forms.CharField(label=gettext_lazy("Libellé sur le relevé"), max_length=200)


class RefundToAdForm(forms.Form):
    amount = AmountField(label=gettext_lazy("Montant reversé à l'AD (€)"), max_length=20)
    reason = forms.CharField(label=gettext_lazy("Motif et référence du virement"), max_length=300)


class ExpenseReviewForm(forms.Form):
    """The reviewer's decision; approving an expense without its receipt takes a ticked box (services.expense_approve checks it)."""

    comment = forms.CharField(
        label=gettext_lazy("Commentaire (obligatoire pour refuser ou demander un complément)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        required=False,
    )
    without_receipt = forms.BooleanField(label=gettext_lazy("Approuver sans justificatif"), required=False)

    def __init__(self, *args, expense, **kwargs):
        super().__init__(*args, **kwargs)
        # Read when the decision is posted: a receipt attached meanwhile makes the box unnecessary.
        if expense.receipt:
            del self.fields["without_receipt"]


class BatchExecuteForm(forms.Form):
    """Recording the transfers moves the money in the books: the treasurer confirms, with the total before their eyes."""

    confirm = forms.BooleanField(
        error_messages={"required": gettext_lazy("Cochez la case pour confirmer que la banque a exécuté ces virements : rien n'a été enregistré.")}
    )

    def __init__(self, *args, batch, **kwargs):
        super().__init__(*args, prefix="execute", **kwargs)
        self.fields["confirm"].label = _("Je confirme que la banque a exécuté ces virements (total : %(total)s)") % {
            "total": format_euros(batch.total_cents, with_cents=True)
        }


class BatchCancelForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy("Je confirme l'annulation de ce lot"),
        error_messages={"required": gettext_lazy("Cochez la case pour confirmer l'annulation : le lot n'a pas été annulé.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="cancel", **kwargs)


class FinalReportForm(forms.Form):
    body = forms.CharField(label=gettext_lazy("Bilan (Markdown)"), widget=forms.Textarea(attrs={"rows": 12}), max_length=20_000)
    publish = forms.BooleanField(label=gettext_lazy("Publier le bilan sur la page du projet"), required=False)


class FinalReportImageForm(forms.Form):
    image = forms.FileField(label=gettext_lazy("Photo"), widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
    alt_text = forms.CharField(label=gettext_lazy("Description de la photo"), max_length=200)


class PeriodForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("Du"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("Au"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    file = forms.ChoiceField(label=gettext_lazy("Fichier"), choices=[("csv", gettext_lazy("Écritures (CSV)")), ("zip", gettext_lazy("Justificatifs (ZIP)"))])

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(_("La fin de la période précède son début."))
        return data


def _refused(request, error: ApplicationError) -> None:
    forbid_if_refused(error)
    messages.error(request, error.message)


# --- overview ---------------------------------------------------------------------


@login_required
def books_home(request):
    campaigns = list(selectors.campaign_list_for_books(actor=request.user))
    money = selectors.campaigns_money(campaigns=campaigns)
    rows = [{"campaign": campaign, "money": money[campaign.pk]} for campaign in campaigns]
    return render(
        request,
        "frontend/books/home.html",
        {
            "rows": rows,
            "to_review": selectors.expenses_to_review(actor=request.user)[:50],
            "ads": selectors.ad_list_for_treasurer(actor=request.user),
            "cooperatives": selectors.cooperative_list_for_books(actor=request.user),
        },
    )


# --- a campaign's books -------------------------------------------------------------


def _campaign_page(request, campaign: Campaign, *, expense_form=None, refund_form=None, status=200):
    view = selectors.campaign_budget_view(campaign=campaign)
    return render(
        request,
        "frontend/books/campaign.html",
        {
            "campaign": campaign,
            "budget": view,
            "expenses": selectors.expense_list_for_campaign(actor=request.user, campaign=campaign),
            "attention": selectors.expenses_needing_attention(campaign=campaign),
            "can_keep_books": selectors.can_keep_books(request.user, campaign.cooperative),
            "can_write_report": selectors.can_write_final_report(request.user, campaign),
            "can_close": selectors.can_close_campaign(request.user, campaign),
            "closing_blockers": services.campaign_closing_blockers(campaign=campaign),
            "expense_form": expense_form or ExpenseForm(campaign=campaign),
            "refund_form": refund_form or RefundToAdForm(),
        },
        status=status,
    )


@login_required
def campaign_books(request, slug):
    campaign = selectors.campaign_get_for_books(actor=request.user, slug=slug)
    return _campaign_page(request, campaign)


@login_required
@require_POST
def expense_create(request, slug):
    campaign = selectors.campaign_get_for_books(actor=request.user, slug=slug)
    form = ExpenseForm(request.POST, request.FILES, campaign=campaign)
    if form.is_valid():
        data = form.cleaned_data
        try:
            expense = services.expense_create(
                actor=request.user,
                campaign=campaign,
                budget_line=data["budget_line"],
                date=data["date"],
                supplier=data["supplier"],
                amount_cents=data["amount"],
                payment_method=data["payment_method"],
                description=data["description"],
                receipt=data.get("receipt"),
                submit=bool(request.POST.get("submit_now")),
            )
        except ApplicationError as error:
            forbid_if_refused(error)
            show_application_error(error, form, field_map={"amount_cents": "amount"})
        else:
            messages.success(request, _("Dépense enregistrée."))
            return redirect("books_campaign", slug=campaign.slug)
    return _campaign_page(request, campaign, expense_form=form, status=400)


@login_required
@require_POST
def refund_to_ad(request, slug):
    campaign = selectors.campaign_get_for_books(actor=request.user, slug=slug)
    form = RefundToAdForm(request.POST)
    if form.is_valid():
        try:
            services.campaign_refund_to_ad(actor=request.user, campaign=campaign, amount_cents=form.cleaned_data["amount"], reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            forbid_if_refused(error)
            show_application_error(error, form)
        else:
            messages.success(request, _("Le remboursement à l'AD est enregistré."))
            return redirect("books_campaign", slug=campaign.slug)
    return _campaign_page(request, campaign, refund_form=form, status=400)


@login_required
@require_POST
def campaign_close(request, slug):
    campaign = selectors.campaign_get_for_books(actor=request.user, slug=slug)
    try:
        services.campaign_close(actor=request.user, campaign=campaign)
    except ApplicationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Le projet est clôturé : les donateurs reçoivent le bilan par e-mail."))
    return redirect("books_campaign", slug=campaign.slug)


@login_required
def final_report(request, slug):
    campaign = selectors.campaign_get_for_books(actor=request.user, slug=slug)
    if not selectors.can_write_final_report(request.user, campaign):
        raise Http404(_("Projet introuvable."))
    report = FinalReport.objects.prefetch_related("images").filter(campaign=campaign).first()
    form = FinalReportForm(initial={"body": report.body if report else "", "publish": bool(report and report.published_at)})
    image_form = FinalReportImageForm()
    status = 200
    if request.method == "POST":
        if "image" in request.FILES or request.POST.get("action") == "image":
            image_form = FinalReportImageForm(request.POST, request.FILES)
            if image_form.is_valid():
                try:
                    services.final_report_image_add(
                        actor=request.user, campaign=campaign, upload=image_form.cleaned_data["image"], alt_text=image_form.cleaned_data["alt_text"]
                    )
                except ApplicationError as error:
                    forbid_if_refused(error)
                    show_application_error(error, image_form, field_map={"upload": "image"})
                else:
                    messages.success(request, _("Photo ajoutée au bilan."))
                    return redirect("books_final_report", slug=campaign.slug)
        else:
            form = FinalReportForm(request.POST)
            if form.is_valid():
                try:
                    services.final_report_save(actor=request.user, campaign=campaign, **form.cleaned_data)
                except ApplicationError as error:
                    forbid_if_refused(error)
                    show_application_error(error, form)
                else:
                    messages.success(request, _("Bilan enregistré."))
                    return redirect("books_final_report", slug=campaign.slug)
        status = 400
    return render(request, "frontend/books/final_report.html", {"campaign": campaign, "report": report, "form": form, "image_form": image_form}, status=status)


# --- one expense ----------------------------------------------------------------------


REVIEW_DECISIONS = {"approve", "reject", "incomplete"}


def _expense_review(request, expense, action: str, form: ExpenseReviewForm) -> str:
    """One reviewer's decision, through the services; returns what to tell them."""
    comment = form.cleaned_data["comment"]
    if action == "approve":
        expense = services.expense_approve(
            actor=request.user, expense=expense, comment=comment, without_receipt_confirmed=form.cleaned_data.get("without_receipt", False)
        )
        if not expense.receipt:
            return _("Dépense approuvée sans justificatif.")
        return _("Dépense approuvée.")
    if action == "reject":
        expense = services.expense_reject(actor=request.user, expense=expense, reason=comment)
        return _("Dépense refusée : %(reason)s") % {"reason": expense.review_comment}
    expense = services.expense_mark_incomplete(actor=request.user, expense=expense, comment=comment)
    return _("Complément demandé : %(comment)s") % {"comment": expense.review_comment}


def _expense_action(request, expense, action: str) -> str:
    """The other actions on an expense, through the services; returns what to tell the person."""
    if action == "submit":
        services.expense_submit(actor=request.user, expense=expense)
        return _("Dépense soumise à l'approbation.")
    if action == "pay":
        expense = services.expense_pay(actor=request.user, expense=expense)
        return _("Paiement enregistré : %(amount)s à %(supplier)s.") % {"amount": format_euros(expense.amount_cents, with_cents=True), "supplier": expense.supplier}
    if action == "receipt":
        if "receipt" not in request.FILES:
            raise ApplicationError(_("Choisissez le fichier du justificatif."))
        replaced = bool(expense.receipt)
        services.expense_receipt_attach(actor=request.user, expense=expense, upload=request.FILES["receipt"])
        return _("Justificatif remplacé.") if replaced else _("Justificatif ajouté.")
    raise ApplicationError(_("Action inconnue."))


@login_required
def expense_detail(request, expense_id):
    expense = selectors.expense_get_for_actor(actor=request.user, expense_id=expense_id)
    reconcile_form = ReconcileForm(initial={"statement_date": expense.paid_at.date() if expense.paid_at else None})
    review_form = ExpenseReviewForm(expense=expense)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        done = None
        try:
            if action in REVIEW_DECISIONS:
                review_form = ExpenseReviewForm(request.POST, expense=expense)
                if review_form.is_valid():
                    try:
                        done = _expense_review(request, expense, action, review_form)
                    except ApplicationError as error:
                        if "without_receipt" not in error.field_errors or "without_receipt" not in review_form.fields:
                            raise
                        # The service's refusal goes next to the box the reviewer has to tick.
                        review_form.add_error("without_receipt", error.field_errors["without_receipt"])
            elif action == "reconcile":
                reconcile_form = ReconcileForm(request.POST)
                if not reconcile_form.is_valid():
                    raise ApplicationError(_("Indiquez la date et le libellé de la ligne du relevé."))
                services.expense_reconcile(actor=request.user, expense=expense, **reconcile_form.cleaned_data)
                done = _("Dépense rapprochée du relevé bancaire.")
            else:
                done = _expense_action(request, expense, action)
        except ApplicationError as error:
            _refused(request, error)
        if done is not None:
            messages.success(request, done)
            return redirect("books_expense", expense_id=expense.pk)
        # Refused, or the decision form is incomplete: nothing was written.
        status = 400
        expense = selectors.expense_get_for_actor(actor=request.user, expense_id=expense_id)
    return render(
        request,
        "frontend/books/expense_detail.html",
        {
            "expense": expense,
            "transitions": expense.transitions.select_related("actor"),
            "can_keep_books": selectors.can_keep_books(request.user, expense.cooperative),
            "can_review": expense.status == ExpenseStatus.SUBMITTED and selectors.can_review_expense(request.user, expense),
            "reconcile_form": reconcile_form,
            "review_form": review_form,
        },
        status=status,
    )


@login_required
def expense_receipt(request, expense_id):
    """Receipts are private: served only after the same check as the books, never linked publicly."""
    expense = selectors.expense_get_for_actor(actor=request.user, expense_id=expense_id)
    if not expense.receipt:
        raise Http404(_("Pas de justificatif."))
    extension = "pdf" if expense.receipt.name.lower().endswith(".pdf") else "jpg"
    content_type = "application/pdf" if extension == "pdf" else "image/jpeg"
    response = FileResponse(expense.receipt.open("rb"), content_type=content_type, filename=f"{expense.receipt_reference}.{extension}")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- disbursements (AD treasurer) ------------------------------------------------------


@login_required
def disbursements(request):
    ads = list(selectors.ad_list_for_treasurer(actor=request.user))
    if not ads:
        raise Http404(_("Page introuvable."))
    ad_id = request.GET.get("ad") or request.POST.get("ad") or ads[0].pk
    if not str(ad_id).isdigit():
        raise Http404(_("Page introuvable."))
    ad = get_object_or_404(selectors.ad_list_for_treasurer(actor=request.user), pk=ad_id)
    status = 200
    if request.method == "POST":
        candidates = {str(row.campaign.pk): row for row in selectors.campaigns_to_disburse(actor=request.user, ad=ad)}
        requests = []
        try:
            for campaign_id in request.POST.getlist("campaigns"):
                row = candidates.get(campaign_id)
                if row is None:
                    raise ApplicationError(_("Ce projet n'a plus rien à verser."))
                typed = request.POST.get(f"amount_{campaign_id}", "").strip()
                amount = parse_euros(typed) if typed else row.money.to_disburse_cents
                requests.append(services.DisbursementRequest(campaign=row.campaign, amount_cents=amount))
            execution_date = request.POST.get("execution_date") or None
            if execution_date:
                try:
                    execution_date = datetime.date.fromisoformat(execution_date)
                except ValueError as error:
                    raise ApplicationError(_("Date d'exécution invalide.")) from error
            batch = services.disbursement_batch_create(actor=request.user, ad=ad, requests=requests, execution_date=execution_date)
        except ApplicationError as error:
            _refused(request, error)
            status = 400
        else:
            messages.success(request, _("Lot préparé : téléchargez le fichier de virements pour votre banque."))
            return redirect("books_batch", batch_id=batch.pk)
    return render(
        request,
        "frontend/books/disbursements.html",
        {
            "ad": ad,
            "ads": ads,
            "to_disburse": selectors.campaigns_to_disburse(actor=request.user, ad=ad),
            "batches": selectors.batch_list_for_actor(actor=request.user).filter(ad=ad)[:50],
            "today": timezone.localdate(),
        },
        status=status,
    )


def _batch_executed_message(batch) -> str:
    cooperatives = len({item.cooperative_id for item in batch.items.all()})
    return ngettext(
        "Virements enregistrés : %(total)s versés à %(count)d coopérative.",
        "Virements enregistrés : %(total)s versés à %(count)d coopératives.",
        cooperatives,
    ) % {"total": format_euros(batch.total_cents, with_cents=True), "count": cooperatives}


@login_required
def batch_detail(request, batch_id):
    batch = selectors.batch_get_for_actor(actor=request.user, batch_id=batch_id)
    execute_form, cancel_form = BatchExecuteForm(batch=batch), BatchCancelForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "execute":
            form = execute_form = BatchExecuteForm(request.POST, batch=batch)
        elif action == "cancel":
            form = cancel_form = BatchCancelForm(request.POST)
        else:
            form = None
            messages.error(request, _("Action inconnue."))
        # Without the ticked box nothing is written: the page comes back with the box's error.
        if form is not None and form.is_valid():
            try:
                if action == "execute":
                    services.disbursement_batch_execute(actor=request.user, batch=batch)
                    done = _batch_executed_message(batch)
                else:
                    services.disbursement_batch_cancel(actor=request.user, batch=batch)
                    done = _("Lot annulé : aucun virement n'est enregistré, ses projets peuvent être versés dans un autre lot.")
            except ApplicationError as error:
                _refused(request, error)
                status = error.status_code
                batch = selectors.batch_get_for_actor(actor=request.user, batch_id=batch_id)
            else:
                messages.success(request, done)
                return redirect("books_batch", batch_id=batch.pk)
        else:
            status = 400
    return render(request, "frontend/books/batch_detail.html", {"batch": batch, "execute_form": execute_form, "cancel_form": cancel_form}, status=status)


@login_required
def batch_file(request, batch_id, kind):
    batch = selectors.batch_get_for_actor(actor=request.user, batch_id=batch_id)
    if kind == "xml":
        response = HttpResponse(batch.sepa_xml, content_type="application/xml; charset=utf-8")
        name = f"virements-{batch.pk}.xml"
    elif kind == "csv":
        response = HttpResponse(exports.batch_summary_csv(batch), content_type="text/csv; charset=utf-8")
        name = f"versements-{batch.pk}.csv"
    elif kind == "pdf":
        response = HttpResponse(exports.batch_summary_pdf(batch), content_type="application/pdf")
        name = f"versements-{batch.pk}.pdf"
    else:
        raise Http404(_("Format inconnu."))
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- the cooperative's books export ------------------------------------------------------


@login_required
def cooperative_export(request, cooperative_id):
    cooperative = selectors.cooperative_get_for_books(actor=request.user, cooperative_id=cooperative_id)
    today = timezone.localdate()
    if "start" not in request.GET:
        form = PeriodForm(initial={"start": today.replace(month=1, day=1), "end": today, "file": "csv"})
        return render(request, "frontend/books/export.html", {"cooperative": cooperative, "form": form})
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return render(request, "frontend/books/export.html", {"cooperative": cooperative, "form": form}, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    if form.cleaned_data["file"] == "zip":
        archive = exports.receipts_zip(selectors.expense_list_for_export(cooperative=cooperative, start=start, end=end))
        return FileResponse(archive, as_attachment=True, filename=f"justificatifs-{cooperative.pk}-{start}-{end}.zip", content_type="application/zip")
    response = HttpResponse(exports.books_csv(selectors.cooperative_books_entries(cooperative=cooperative, start=start, end=end)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="comptes-{cooperative.pk}-{start}-{end}.csv"'
    return response
