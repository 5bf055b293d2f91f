"""Federation staff see everything here; every change of state goes through the services."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from trousse.exceptions import ApplicationError

from . import services
from .models import BudgetLine, Campaign, CampaignImage, CampaignTransition, CampaignUpdate, Status


class BudgetLineInline(admin.TabularInline):
    model = BudgetLine
    extra = 0
    readonly_fields = ["label", "category", "amount_cents", "position"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class CampaignImageInline(admin.TabularInline):
    model = CampaignImage
    extra = 0
    fields = ["thumbnail", "alt_text", "consent_confirmed", "published", "position"]
    # `published` is shown, never set here: a picture goes public only with the animator's approval of
    # the campaign's revision (campaign_revision_decide), which also rewrites the approved snapshot and the cached page.
    readonly_fields = ["thumbnail", "alt_text", "consent_confirmed", "published", "position"]

    def has_add_permission(self, request, obj=None):
        # Uploads go through the service that re-encodes them.
        return False


class CampaignTransitionInline(admin.TabularInline):
    model = CampaignTransition
    extra = 0
    readonly_fields = ["created_at", "actor", "from_status", "to_status", "comment"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


def _run(modeladmin, request, queryset, action, done_message) -> None:
    done = 0
    for campaign in queryset:
        try:
            action(campaign)
            done += 1
        except ApplicationError as error:
            modeladmin.message_user(request, f"{campaign} : {error.message}", level=messages.ERROR)
    if done:
        modeladmin.message_user(request, done_message(done), level=messages.SUCCESS)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["title", "cooperative", "status", "minimum_goal_cents", "raised_cents", "start_date", "deadline"]
    list_filter = ["status", "theme", "school_level", "cooperative__ad"]
    search_fields = ["title", "slug", "cooperative__name", "cooperative__city", "teacher__email"]
    list_select_related = ["cooperative"]
    date_hierarchy = "created_at"
    inlines = [BudgetLineInline, CampaignImageInline, CampaignTransitionInline]
    # Content is the teacher's, state is the life cycle's: the admin reads them, and acts through the actions.
    readonly_fields = [field.name for field in Campaign._meta.fields if field.name != "goal_exception"] + ["description_html"]
    actions = ["approve", "cancel", "end_collection", "advance_by_date"]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        if "goal_exception" in form.changed_data:
            services.campaign_goal_exception_set(actor=request.user, campaign=obj, granted=obj.goal_exception)

    @admin.action(description=_("Valider les projets en relecture"))
    def approve(self, request, queryset):
        from trousse.moderation.services import review_approve

        _run(self, request, queryset.filter(status=Status.SUBMITTED), lambda c: review_approve(actor=request.user, campaign=c), lambda n: ngettext("%d projet validé.", "%d projets validés.", n) % n)

    @admin.action(description=_("Annuler (les dons sont remboursés)"))
    def cancel(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda c: services.campaign_cancel(actor=request.user, campaign=c, reason=str(_("Annulé par la fédération."))),
            lambda n: ngettext("%d projet annulé.", "%d projets annulés.", n) % n,
        )

    @admin.action(description=_("Clore la collecte maintenant"))
    def end_collection(self, request, queryset):
        _run(self, request, queryset.filter(status=Status.LIVE), lambda c: services.campaign_end(campaign=c), lambda n: ngettext("%d collecte close.", "%d collectes closes.", n) % n)

    @admin.action(description=_("Appliquer les dates (ouvertures et clôtures dues)"))
    def advance_by_date(self, request, queryset):
        counts = services.campaigns_advance_by_date()
        started = ngettext("%(started)d collecte ouverte", "%(started)d collectes ouvertes", counts["started"]) % counts
        ended = ngettext("%(ended)d close.", "%(ended)d closes.", counts["ended"]) % counts
        self.message_user(request, f"{started}, {ended}")


@admin.register(CampaignUpdate)
class CampaignUpdateAdmin(admin.ModelAdmin):
    list_display = ["title", "campaign", "author", "created_at"]
    search_fields = ["title", "campaign__title"]
    readonly_fields = ["campaign", "author", "body_html", "created_at"]
