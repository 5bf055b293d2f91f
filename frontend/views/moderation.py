"""The animator's pages: the review queue and the review of one campaign."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from frontend.forms import ApproveForm, RejectForm, RequestChangesForm
from frontend.views.utils import forbid_if_refused, show_application_error
from trousse.accounts.selectors import actor_scope
from trousse.campaigns import selectors as campaign_selectors
from trousse.campaigns.models import REVISED_STATUSES
from trousse.exceptions import ApplicationError
from trousse.moderation import selectors as moderation_selectors
from trousse.moderation import services as moderation_services


def _require_animator(user) -> None:
    scope = actor_scope(user)
    if not (scope.animator_of or scope.is_federation_admin):
        raise PermissionDenied(_("Les relectures sont réservées aux animateur·rices des associations départementales."))


@login_required
@require_GET
def review_queue(request):
    _require_animator(request.user)
    queue = moderation_selectors.review_queue(actor=request.user)
    return render(request, "frontend/moderation/queue.html", {"queue": queue, "today": timezone.localdate()})


def _reviewed_campaign(request, slug):
    campaign = campaign_selectors.campaign_get_for_actor(actor=request.user, slug=slug)
    if not campaign_selectors.is_campaign_reviewer(request.user, campaign):
        raise PermissionDenied(_("Seul·e l'animateur·rice de l'AD du projet peut le relire."))
    return campaign


def _render_review(request, campaign, *, approve_form=None, changes_form=None, reject_form=None, status=200):
    # An approved or live campaign is reviewed through its pending change; the page shows the public version beside it.
    revision = campaign_selectors.campaign_open_revision(campaign=campaign) if campaign.status in REVISED_STATUSES else None
    # Each decision names the version shown here: one the teacher changes meanwhile is refused, never applied unseen.
    initial = {"revision_version": revision.version} if revision else {}
    for form in (approve_form, changes_form, reject_form):
        if revision and form is not None and form.is_bound:
            # A form sent back with an error offers the decision on the version the page now shows.
            form.data = form.data.copy()
            form.data["revision_version"] = str(revision.version)
    diff = moderation_selectors.campaign_diff(campaign=campaign, revision=revision)
    changes_form = changes_form or RequestChangesForm(initial=initial)
    # With a diff, the remarks on what changed come first and the fifteen others fold away
    # (shown open when one of them holds text or an error); a first review shows them all.
    changed = {change.field for change in diff}
    remark_fields = changes_form.comment_fields()
    other_remark_fields = [entry for entry in remark_fields if changed and entry[0] not in changed]
    context = {
        "campaign": campaign,
        "revision": revision,
        "can_decide": campaign_selectors.can_review_campaign(request.user, campaign, revision_state=revision.state if revision else None),
        "diff": diff,
        "audit_trail": moderation_selectors.campaign_audit_trail(actor=request.user, campaign=campaign),
        "approve_form": approve_form or ApproveForm(initial=initial),
        "changes_form": changes_form,
        "remark_fields": [entry for entry in remark_fields if entry not in other_remark_fields],
        "other_remark_fields": other_remark_fields,
        "other_remarks_open": any(field.value() or field.errors for _name, _label, field in other_remark_fields),
        "reject_form": reject_form or RejectForm(initial=initial),
    }
    return render(request, "frontend/moderation/review.html", context, status=status)


def _refused(error: ApplicationError) -> int:
    """The page's status for a refused decision: 409 when the campaign or its change moved meanwhile."""
    forbid_if_refused(error)
    return error.status_code if error.status_code == 409 else 400


@login_required
@require_GET
def review_detail(request, slug):
    return _render_review(request, _reviewed_campaign(request, slug))


@login_required
@require_POST
def review_approve(request, slug):
    campaign = _reviewed_campaign(request, slug)
    form = ApproveForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            review = moderation_services.review_approve(
                actor=request.user, campaign=campaign, comment=form.cleaned_data["comment"], revision_version=form.cleaned_data["revision_version"]
            )
        except ApplicationError as error:
            status = _refused(error)
            show_application_error(error, form)
        else:
            if review.revision_id:
                messages.success(request, _("Modification validée : elle est publiée sur la page du projet. L'enseignant·e est prévenu·e."))
            else:
                messages.success(request, _("Projet validé. L'enseignant·e est prévenu·e."))
            return redirect("review_queue")
    return _render_review(request, campaign, approve_form=form, status=status)


@login_required
@require_POST
def review_request_changes(request, slug):
    campaign = _reviewed_campaign(request, slug)
    form = RequestChangesForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            moderation_services.review_request_changes(
                actor=request.user,
                campaign=campaign,
                field_comments=form.field_comments(),
                message=form.cleaned_data["message"],
                revision_version=form.cleaned_data["revision_version"],
            )
        except ApplicationError as error:
            status = _refused(error)
            show_application_error(error, form, field_map={name: f"field_{name}" for name in form.field_comments()})
        else:
            messages.success(request, _("Demande de modifications envoyée à l'enseignant·e."))
            return redirect("review_queue")
    return _render_review(request, campaign, changes_form=form, status=status)


@login_required
@require_POST
def review_reject(request, slug):
    campaign = _reviewed_campaign(request, slug)
    form = RejectForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            review = moderation_services.review_reject(
                actor=request.user, campaign=campaign, reason=form.cleaned_data["reason"], revision_version=form.cleaned_data["revision_version"]
            )
        except ApplicationError as error:
            status = _refused(error)
            show_application_error(error, form)
        else:
            if review.revision_id:
                messages.success(request, _("Modification refusée : la page du projet reste telle qu'elle était validée. L'enseignant·e est prévenu·e."))
            else:
                messages.success(request, _("Projet refusé. L'enseignant·e est prévenu·e."))
            return redirect("review_queue")
    return _render_review(request, campaign, reject_form=form, status=status)
