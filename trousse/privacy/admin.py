"""The privacy app in the admin, and the mixin that logs every admin read of donors' data.

Any ModelAdmin that shows donors' personal data inherits
`PersonalDataAccessAdminMixin` (first in the bases): its list pages and change
pages write to the access log. Donation and TaxReceipt get such an admin here
unless the payments app registered its own (it must then use the mixin).
"""

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from trousse.exceptions import ApplicationError
from trousse.payments.models import Donation, TaxReceipt

from . import services
from .models import AccessPurpose, ErasureRecord, PersonalDataAccess, PictureRetention


class PersonalDataAccessAdminMixin:
    """Logs, as purpose "admin", the objects an admin page showed.

    Objects are donations by default; override `personal_data_log` for another model
    (see TaxReceiptAdmin below).
    """

    personal_data_purpose = AccessPurpose.ADMIN

    def personal_data_log(self, request, objects) -> None:
        services.personal_data_access_log(actor=request.user, purpose=self.personal_data_purpose, donations=list(objects), request=request)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if request.method == "GET" and isinstance(response, TemplateResponse):
            changelist = (response.context_data or {}).get("cl")
            if changelist is not None:
                self.personal_data_log(request, changelist.result_list)
        return response

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            self.personal_data_log(request, [obj])
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)


class _ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DonationAdmin(PersonalDataAccessAdminMixin, _ReadOnly, admin.ModelAdmin):
    list_display = ["id", "created_at", "campaign", "amount_cents", "status", "first_name", "last_name", "email"]
    list_filter = ["status", "method", "donor_type"]
    search_fields = ["email", "last_name", "stripe_payment_intent_id"]
    list_select_related = ["campaign"]
    actions = ["erase_donor_data"]

    @admin.action(description=_("Effacer les données personnelles de ces donateurs (reçus fiscaux conservés)"), permissions=["erase"])
    def erase_donor_data(self, request, queryset):
        # A donor may ask by post or by phone: the same service as their own erasure button.
        for email in sorted({services.normalise_email(email) for email in queryset.values_list("email", flat=True)}):
            if services.is_erased_email(email):
                continue
            try:
                result = services.donor_data_erase(email=email)
            except ApplicationError as error:
                self.message_user(request, f"{email} : {error.message}", messages.ERROR)
            else:
                count = result.donations_anonymised
                self.message_user(request, ngettext("%(count)s don anonymisé.", "%(count)s dons anonymisés.", count) % {"count": count}, messages.SUCCESS)

    def has_erase_permission(self, request):
        return request.user.is_superuser


class TaxReceiptAdmin(PersonalDataAccessAdminMixin, _ReadOnly, admin.ModelAdmin):
    list_display = ["number", "ad", "status", "amount_cents", "donor_name", "donor_email", "issued_at"]
    list_filter = ["status", "form", "year"]
    search_fields = ["number", "donor_email", "donor_name"]
    list_select_related = ["ad"]
    exclude = ["donations"]

    def personal_data_log(self, request, objects) -> None:
        # A receipt's subjects are the donors of the donations it covers.
        services.personal_data_access_log(actor=request.user, purpose=AccessPurpose.TAX_RECEIPTS, receipts=list(objects), request=request)


# payments is listed before privacy in INSTALLED_APPS, so its admin (if any) is loaded first.
if not admin.site.is_registered(Donation):
    admin.site.register(Donation, DonationAdmin)
if not admin.site.is_registered(TaxReceipt):
    admin.site.register(TaxReceipt, TaxReceiptAdmin)


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ["created_at", "actor", "purpose", "ad", "campaign", "donation", "subject_email", "path"]
    list_filter = ["purpose", "ad"]
    search_fields = ["subject_email", "actor__email", "path"]
    list_select_related = ["actor", "ad", "campaign", "donation"]
    date_hierarchy = "created_at"


@admin.register(PictureRetention)
class PictureRetentionAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ["campaign", "keep_with_consent", "confirmed_by", "confirmed_at"]
    list_select_related = ["campaign", "confirmed_by"]


@admin.register(ErasureRecord)
class ErasureRecordAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ["created_at", "source", "donations_count", "receipts_kept_count", "receipts_anonymised_count", "pictures_deleted_count"]
    list_filter = ["source"]
