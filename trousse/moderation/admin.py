from django.contrib import admin

from .models import Review, ReviewComment


class ReviewCommentInline(admin.TabularInline):
    model = ReviewComment
    extra = 0
    readonly_fields = ["field", "body"]
    can_delete = False


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    # The audit trail is append-only: the admin reads it, never edits it.
    list_display = ["campaign", "decision", "reviewer", "created_at"]
    list_filter = ["decision"]
    search_fields = ["campaign__title", "reviewer__email"]
    readonly_fields = ["campaign", "reviewer", "decision", "message", "transition", "revision", "created_at"]
    inlines = [ReviewCommentInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
