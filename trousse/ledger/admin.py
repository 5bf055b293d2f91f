"""The ledger in the admin: read-only. A correction is a reversing transaction (ledger_reverse), never an edit."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from trousse.exceptions import ApplicationError

from . import services
from .models import DisbursementBatch, DisbursementItem, Expense, ExpenseTransition, FinalReport, LedgerAccount, LedgerEntry, LedgerTransaction


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LedgerEntryInline(admin.TabularInline):
    model = LedgerEntry
    fields = ["account", "amount_cents", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "key", "reference", "campaign", "memo", "actor"]
    list_filter = ["kind"]
    search_fields = ["key", "reference", "memo"]
    list_select_related = ["campaign", "actor"]
    inlines = [LedgerEntryInline]
    actions = ["reverse_transactions"]

    @admin.action(description=_("Contre-passer (écriture inverse motivée)"), permissions=["reverse"])
    def reverse_transactions(self, request, queryset):
        # The admin's only write: the same service as everywhere, with a reason on record.
        for ledger_tx in queryset:
            try:
                services.ledger_reverse(original=ledger_tx, reason=_("Contre-passation depuis l'administration par %(user)s") % {"user": request.user}, actor=request.user)
            except ApplicationError as error:
                self.message_user(request, error.message, messages.ERROR)

    def has_reverse_permission(self, request):
        # Posting a correction is a money movement: federation superusers only.
        return request.user.is_superuser


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ["code", "kind", "campaign", "cooperative", "ad"]
    list_filter = ["kind"]
    search_fields = ["code"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "account", "amount_cents", "transaction"]
    list_select_related = ["account", "transaction"]
    search_fields = ["account__code", "transaction__key"]


class DisbursementItemInline(admin.TabularInline):
    model = DisbursementItem
    fields = ["campaign", "cooperative", "amount_cents", "creditor_iban", "end_to_end_id", "status"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(DisbursementBatch)
class DisbursementBatchAdmin(ReadOnlyAdmin):
    list_display = ["message_id", "ad", "status", "total_cents", "execution_date", "created_at"]
    list_filter = ["status", "ad"]
    inlines = [DisbursementItemInline]


class ExpenseTransitionInline(admin.TabularInline):
    model = ExpenseTransition
    fields = ["created_at", "actor", "from_status", "to_status", "without_receipt", "comment"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Expense)
class ExpenseAdmin(ReadOnlyAdmin):
    list_display = ["date", "cooperative", "campaign", "supplier", "amount_cents", "status", "reconciled_at"]
    list_filter = ["status"]
    search_fields = ["supplier", "campaign__title", "cooperative__name"]
    list_select_related = ["cooperative", "campaign"]
    inlines = [ExpenseTransitionInline]


@admin.register(FinalReport)
class FinalReportAdmin(ReadOnlyAdmin):
    list_display = ["campaign", "author", "published_at", "donors_emailed_at"]
    list_select_related = ["campaign", "author"]
