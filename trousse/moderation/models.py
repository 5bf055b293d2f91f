from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from trousse.campaigns.models import Campaign, CampaignRevision, CampaignTransition


class Decision(models.TextChoices):
    APPROVED = "approved", _("validé")
    CHANGES_REQUESTED = "changes_requested", _("modifications demandées")
    REJECTED = "rejected", _("refusé")


class Review(models.Model):
    """One decision of an animator: on a submitted campaign (its transition holds the status move),
    or on the revision of an approved or live campaign (no status moves: the revision's state does)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("projet"))
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("relu par"))
    decision = models.CharField(_("décision"), max_length=20, choices=Decision.choices)
    message = models.TextField(_("message"), blank=True)
    transition = models.OneToOneField(CampaignTransition, on_delete=models.PROTECT, null=True, blank=True, related_name="review")
    revision = models.ForeignKey(CampaignRevision, on_delete=models.PROTECT, null=True, blank=True, related_name="reviews")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("relecture")
        verbose_name_plural = _("relectures")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["campaign", "created_at"], name="review_campaign_time")]
        constraints = [
            models.CheckConstraint(
                name="review_of_a_transition_or_a_revision",
                condition=Q(transition__isnull=False, revision__isnull=True) | Q(transition__isnull=True, revision__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign} – {self.get_decision_display()}"


class ReviewComment(models.Model):
    """The animator's remark on one field of the campaign, shown next to that field to the teacher."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="comments")
    field = models.CharField(_("champ"), max_length=40)
    body = models.TextField(_("remarque"))

    class Meta:
        verbose_name = _("remarque")
        verbose_name_plural = _("remarques")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["review", "field"], name="review_comment_one_per_field")]

    def __str__(self) -> str:
        return f"{self.field}: {self.body[:40]}"
