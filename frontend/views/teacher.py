"""The teacher's pages: dashboard, campaign editor, pictures, submission, news.

Views are thin: a form validates what was typed, one service decides and writes,
its ApplicationError is shown next to the field or at the top of the page.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Subquery
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontend.forms import (
    SERVICE_TO_FORM_FIELD,
    BudgetLineFormSet,
    CampaignForm,
    CancelForm,
    ImageForm,
    NewsForm,
    budget_initial,
)
from frontend.views.utils import forbid_if_refused, show_application_error
from trousse.accounts.models import Cooperative
from trousse.accounts.selectors import actor_scope
from trousse.campaigns import selectors as campaign_selectors
from trousse.campaigns import services as campaign_services
from trousse.campaigns.models import BUDGET_CATEGORY_LABELS, EDITABLE_FIELDS, EDITABLE_STATUSES, OPEN_REVISION_STATES, REVISED_STATUSES, CampaignRevision, CampaignTransition, Status
from trousse.exceptions import ApplicationError
from trousse.ledger.selectors import BOOKS_STATUSES, can_view_books
from trousse.moderation import selectors as moderation_selectors
from trousse.privacy.selectors import can_set_picture_retention

DASHBOARD_PAGE_SIZE = 25
# A campaign has books from its success on: the statuses the books' own list shows
# (trousse.ledger.selectors.campaign_list_for_books); before that the page would be empty.


def _shows_books(user, campaign) -> bool:
    return campaign.status in BOOKS_STATUSES and can_view_books(user, campaign)


@login_required
@require_GET
def dashboard(request):
    scope = actor_scope(request.user)
    # A draft the animator sent back with remarks is not a fresh draft: the teacher has something to fix.
    sent_back = CampaignTransition.objects.filter(campaign_id=OuterRef("pk"), from_status=Status.SUBMITTED, to_status=Status.DRAFT)
    # An approved or live campaign with a change waiting (or sent back): the row says so.
    open_revision = CampaignRevision.objects.filter(campaign_id=OuterRef("pk"), state__in=OPEN_REVISION_STATES)
    campaigns = campaign_selectors.campaign_list_for_actor(actor=request.user).annotate(
        sent_back=Exists(sent_back), revision_state=Subquery(open_revision.values("state")[:1])
    )
    paginator = Paginator(campaigns, DASHBOARD_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = [
        {
            "campaign": campaign,
            "can_edit": campaign_selectors.can_edit_campaign(request.user, campaign),
            "can_review": campaign_selectors.can_review_campaign(request.user, campaign, revision_state=campaign.revision_state),
            "can_view_books": _shows_books(request.user, campaign),
        }
        for campaign in page.object_list
    ]
    queue_size = None
    if scope.animator_of or scope.is_federation_admin:
        queue_size = len(moderation_selectors.review_queue(actor=request.user))
    return render(request, "frontend/teacher/dashboard.html", {"scope": scope, "page": page, "rows": rows, "queue_size": queue_size})


def _teacher_cooperatives(user):
    scope = actor_scope(user)
    return list(Cooperative.objects.filter(pk__in=scope.teacher_of).select_related("ad").order_by("name"))


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request):
    cooperatives = _teacher_cooperatives(request.user)
    if not cooperatives:
        # Anyone may know the editor exists; only a cooperative's teacher may use it.
        raise PermissionDenied(_("Seul·e un·e enseignant·e d'une coopérative peut créer un projet."))
    data = request.POST if request.method == "POST" else None
    form = CampaignForm(data, cooperatives=cooperatives)
    formset = BudgetLineFormSet(data, prefix="budget")
    if data is not None:
        form_valid, formset_valid = form.is_valid(), formset.is_valid()
        if form_valid and formset_valid:
            cooperative = next(coop for coop in cooperatives if coop.pk == form.cleaned_data["cooperative"])
            try:
                campaign = campaign_services.campaign_create(
                    actor=request.user,
                    cooperative=cooperative,
                    budget_lines=formset.budget_lines(campaign_services.BudgetLineData),
                    **form.service_fields(),
                )
            except ApplicationError as error:
                forbid_if_refused(error)
                show_application_error(error, form, formset=formset, field_map=SERVICE_TO_FORM_FIELD)
            else:
                messages.success(request, _("Le projet est enregistré en brouillon. Ajoutez des photos, puis envoyez-le en relecture."))
                return redirect("campaign_manage", slug=campaign.slug)
    status = 400 if form.errors or formset.total_error_count() else 200
    return render(request, "frontend/teacher/campaign_form.html", {"form": form, "formset": formset, "campaign": None, "review_comments": {}}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request, slug):
    campaign = campaign_selectors.campaign_get_for_actor(actor=request.user, slug=slug)
    if not campaign_selectors.can_edit_campaign(request.user, campaign):
        raise PermissionDenied(_("Vous ne pouvez pas modifier ce projet."))
    revision = _open_revision(campaign)
    # The teacher goes on from their pending proposal, not from the public version.
    values, lines = campaign_selectors.campaign_edit_values(campaign=campaign, revision=revision)
    # The version the form shows, sent back with it: a save from an older tab (or over a change
    # made through the API) is refused instead of silently undoing the newer change.
    edited_from = campaign_selectors.campaign_edit_digest(values, lines)
    data = request.POST if request.method == "POST" else None
    form = CampaignForm(data, initial=CampaignForm.initial_from(values))
    # Posted, the rows are what was typed: rows from a version saved meanwhile (more lines) as
    # their initial would make the blank rows "changed", errors hiding the conflict.
    formset = BudgetLineFormSet(data, initial=budget_initial(lines) if data is None else None, prefix="budget")
    conflict = None
    if data is not None:
        # A page sent back with errors still starts from the version the teacher opened.
        edited_from = data.get("edited_from") or None
        form_valid, formset_valid = form.is_valid(), formset.is_valid()
        if form_valid and formset_valid:
            try:
                campaign = campaign_services.campaign_update(
                    actor=request.user,
                    campaign=campaign,
                    budget_lines=formset.budget_lines(campaign_services.BudgetLineData),
                    edited_from=edited_from,
                    **form.service_fields(),
                )
            except ApplicationError as error:
                forbid_if_refused(error)
                if "edited_from" in error.field_errors:
                    # Changed meanwhile: the fields keep what was typed, the banner shows the version
                    # saved now, and the form now starts from it: saving again is a deliberate choice.
                    campaign = campaign_selectors.campaign_get_for_actor(actor=request.user, slug=slug)
                    revision = _open_revision(campaign)
                    values, lines = campaign_selectors.campaign_edit_values(campaign=campaign, revision=revision)
                    edited_from = campaign_selectors.campaign_edit_digest(values, lines)
                    conflict = {"message": error.message, **_saved_differences(form, formset, values, lines)}
                else:
                    show_application_error(error, form, formset=formset, field_map=SERVICE_TO_FORM_FIELD)
            else:
                if campaign.status == Status.SUBMITTED:
                    messages.success(request, _("Modifications enregistrées. Le projet est en relecture par l'animateur·rice de votre AD."))
                elif _open_revision(campaign) is not None:
                    messages.success(
                        request,
                        _("Modifications envoyées en relecture à l'animateur·rice de votre AD. D'ici sa décision, la page publique garde la version validée."),
                    )
                else:
                    messages.success(request, _("Modifications enregistrées."))
                return redirect("campaign_manage", slug=campaign.slug)
    comments = moderation_selectors.open_review_comments(campaign=campaign)
    # Reviewers comment on model fields; the form names money fields without "_cents".
    comments = {SERVICE_TO_FORM_FIELD.get(field, field): text for field, text in comments.items()}
    status = 409 if conflict else 400 if form.errors or formset.total_error_count() else 200
    context = {
        "form": form,
        "formset": formset,
        "campaign": campaign,
        "review_comments": comments,
        "goes_back_to_review": campaign.status in REVISED_STATUSES,
        "revision": revision,
        "edited_from": edited_from,
        "conflict": conflict,
    }
    return render(request, "frontend/teacher/campaign_form.html", context, status=status)


def _saved_differences(form, formset, values: dict, lines: list[dict]) -> dict:
    """Where the version saved meanwhile differs from what the teacher typed (both valid), as the
    conflict banner shows it: {"fields": [{"label", "value", "euros"}], "budget_lines": [...] or []}."""

    typed = form.service_fields()
    fields = []
    for name in EDITABLE_FIELDS:
        saved = values.get(name)
        if campaign_selectors.edit_comparable(saved) == campaign_selectors.edit_comparable(typed.get(name)):
            continue
        form_field = form.fields[SERVICE_TO_FORM_FIELD.get(name, name)]
        if isinstance(saved, datetime.date):
            saved = date_format(saved)
        elif getattr(form_field, "choices", None):
            saved = dict(form_field.choices).get(saved, saved)
        fields.append({"label": form_field.label, "value": saved, "euros": name.endswith("_cents")})
    typed_lines = [(campaign_selectors.edit_comparable(line.label), line.category, line.amount_cents) for line in formset.budget_lines(campaign_services.BudgetLineData)]
    saved_lines = [(campaign_selectors.edit_comparable(line["label"]), line["category"], line["amount_cents"]) for line in lines]
    budget = []
    if typed_lines != saved_lines:
        budget = [{"label": label, "category": BUDGET_CATEGORY_LABELS.get(category, category), "amount_cents": amount} for label, category, amount in saved_lines]
    return {"fields": fields, "budget_lines": budget}


def _open_revision(campaign):
    """The pending change of an approved or live campaign (none before approval)."""
    return campaign_selectors.campaign_open_revision(campaign=campaign) if campaign.status in REVISED_STATUSES else None


def _render_manage(request, campaign, *, image_form=None, news_form=None, cancel_form=None, status=200):
    user = request.user
    can_edit = campaign_selectors.can_edit_campaign(user, campaign)
    can_post_news = campaign_selectors.can_post_news(user, campaign)
    can_cancel = campaign_selectors.can_cancel_campaign(user, campaign)
    revision = _open_revision(campaign)
    context = {
        "campaign": campaign,
        "revision": revision,
        "revision_changes": moderation_selectors.campaign_diff(campaign=campaign, revision=revision) if revision else [],
        "can_edit": can_edit,
        "can_submit": campaign_selectors.can_submit_campaign(user, campaign),
        "can_post_news": can_post_news,
        "can_cancel": can_cancel,
        "can_review": campaign_selectors.can_review_campaign(user, campaign, revision_state=revision.state if revision else None),
        "can_view_books": _shows_books(user, campaign),
        "can_set_picture_retention": can_set_picture_retention(user, campaign),
        "image_form": image_form or (ImageForm() if can_edit else None),
        "news_form": news_form or (NewsForm() if can_post_news else None),
        "cancel_form": cancel_form or (CancelForm() if can_cancel else None),
        "review_comments": moderation_selectors.open_review_comments(campaign=campaign),
        "audit_trail": moderation_selectors.campaign_audit_trail(actor=user, campaign=campaign)
        if campaign_selectors.can_see_audit_trail(user, campaign)
        else [],
        "edit_goes_back_to_review": campaign.status in REVISED_STATUSES,
        "is_editable_status": campaign.status in EDITABLE_STATUSES,
    }
    return render(request, "frontend/teacher/campaign_manage.html", context, status=status)


def _insider_campaign(request, slug):
    """The campaign for its insiders; a public campaign seen by an outsider is a 403, not a page."""
    campaign = campaign_selectors.campaign_get_for_actor(actor=request.user, slug=slug)
    if not campaign_selectors.is_campaign_insider(request.user, campaign):
        raise PermissionDenied(_("Cette page est réservée à la classe et à son association départementale."))
    return campaign


@login_required
@require_GET
def campaign_manage(request, slug):
    return _render_manage(request, _insider_campaign(request, slug))


@login_required
@require_POST
def campaign_image_add(request, slug):
    campaign = _insider_campaign(request, slug)
    if not campaign_selectors.can_edit_campaign(request.user, campaign):
        raise PermissionDenied(_("Vous ne pouvez pas modifier ce projet."))
    form = ImageForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            campaign_services.campaign_image_add(
                actor=request.user,
                campaign=campaign,
                upload=form.cleaned_data["upload"],
                alt_text=form.cleaned_data["alt_text"],
                consent_confirmed=form.cleaned_data["consent_confirmed"],
            )
        except ApplicationError as error:
            forbid_if_refused(error)
            show_application_error(error, form)
        else:
            messages.success(request, _("Photo ajoutée."))
            return redirect("campaign_manage", slug=campaign.slug)
    return _render_manage(request, campaign, image_form=form, status=400)


@login_required
@require_POST
def campaign_image_remove(request, slug, image_id):
    campaign = _insider_campaign(request, slug)
    if not campaign_selectors.can_edit_campaign(request.user, campaign):
        raise PermissionDenied(_("Vous ne pouvez pas modifier ce projet."))
    image = next((image for image in campaign.images.all() if image.pk == image_id), None)
    if image is None:
        raise Http404("image")
    try:
        campaign_services.campaign_image_remove(actor=request.user, image=image)
    except ApplicationError as error:
        forbid_if_refused(error)
        messages.error(request, error.message)
    else:
        messages.success(request, _("Photo retirée."))
    return redirect("campaign_manage", slug=campaign.slug)


@login_required
@require_POST
def campaign_submit(request, slug):
    campaign = _insider_campaign(request, slug)
    if not campaign_selectors.is_campaign_teacher(request.user, campaign):
        raise PermissionDenied(_("Seul·e l'enseignant·e du projet peut l'envoyer en relecture."))
    try:
        campaign_services.campaign_submit(actor=request.user, campaign=campaign)
    except ApplicationError as error:
        forbid_if_refused(error)
        messages.error(request, error.message)
    else:
        messages.success(request, _("Projet envoyé en relecture. L'animateur·rice de votre AD vous répondra ici."))
    return redirect("campaign_manage", slug=campaign.slug)


@login_required
@require_POST
def campaign_news_post(request, slug):
    campaign = _insider_campaign(request, slug)
    if not campaign_selectors.can_post_news(request.user, campaign):
        raise PermissionDenied(_("Vous ne pouvez pas publier de nouvelles sur ce projet."))
    form = NewsForm(request.POST)
    if form.is_valid():
        try:
            campaign_services.campaign_news_post(actor=request.user, campaign=campaign, title=form.cleaned_data["title"], body=form.cleaned_data["body"])
        except ApplicationError as error:
            forbid_if_refused(error)
            show_application_error(error, form)
        else:
            messages.success(request, _("Nouvelle publiée sur la page du projet."))
            return redirect("campaign_manage", slug=campaign.slug)
    return _render_manage(request, campaign, news_form=form, status=400)


@login_required
@require_POST
def campaign_cancel(request, slug):
    campaign = _insider_campaign(request, slug)
    if not campaign_selectors.can_cancel_campaign(request.user, campaign):
        raise PermissionDenied(_("Vous ne pouvez pas annuler ce projet."))
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            campaign_services.campaign_cancel(actor=request.user, campaign=campaign, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            forbid_if_refused(error)
            show_application_error(error, form)
        else:
            messages.success(request, _("Projet annulé. Les donateurs éventuels seront remboursés."))
            return redirect("campaign_manage", slug=campaign.slug)
    return _render_manage(request, campaign, cancel_form=form, status=400)
