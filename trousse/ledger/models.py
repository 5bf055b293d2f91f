"""The double-entry ledger (DESIGN.md, Money): append-only, every transaction sums to zero.

Sign convention: an entry's amount is what its account *receives* (positive) or
gives (negative). A campaign fund's balance is the money held for that campaign.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from trousse.accounts.models import Cooperative, DepartmentalAssociation
from trousse.campaigns.models import Campaign


class AppendOnlyError(Exception):
    """Ledger rows are never changed: a correction is a reversing transaction."""


class AccountKind(models.TextChoices):
    STRIPE_CLEARING = "stripe_clearing", _("Compte Stripe (encaissements)")
    CAMPAIGN_FUND = "campaign_fund", _("Fonds du projet")
    COOPERATIVE = "cooperative", _("Coopérative")
    AD = "ad", _("Association départementale")
    FEES = "fees", _("Frais")
    DISPUTES = "disputes", _("Contestations (gelé)")
    SUPPLIERS = "suppliers", _("Fournisseurs (dépenses)")


class LedgerAccount(models.Model):
    kind = models.CharField(max_length=20, choices=AccountKind.choices)
    # "campaign_fund:12", "cooperative:3", "stripe_clearing": one row per account, found by code.
    code = models.CharField(max_length=60, unique=True)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_accounts")
    cooperative = models.ForeignKey(Cooperative, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_accounts")
    ad = models.ForeignKey(DepartmentalAssociation, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_accounts")

    class Meta:
        verbose_name = _("compte")
        verbose_name_plural = _("comptes")

    def __str__(self) -> str:
        return self.code


class TransactionKind(models.TextChoices):
    DONATION = "donation", _("Don")
    REFUND = "refund", _("Remboursement")
    FEE = "fee", _("Frais")
    DISPUTE = "dispute", _("Contestation")
    DISBURSEMENT = "disbursement", _("Versement à la coopérative")
    EXPENSE = "expense", _("Dépense")
    ADJUSTMENT = "adjustment", _("Régularisation")


class LedgerTransaction(models.Model):
    kind = models.CharField(max_length=20, choices=TransactionKind.choices)
    # What caused it, derived from our ids ("donation:12:succeeded"): unique, so posting
    # the same effect twice is impossible even if a caller forgets its own guard.
    key = models.CharField(max_length=120, unique=True)
    reference = models.CharField(max_length=120, help_text=_("L'objet à l'origine du mouvement, ex. donation:12"))
    memo = models.CharField(max_length=300, blank=True)
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("écriture")
        verbose_name_plural = _("écritures")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["reference"], name="ledger_tx_reference")]

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("Ledger transactions are never updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Ledger transactions are never deleted.")


class LedgerEntry(models.Model):
    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    amount_cents = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ligne d'écriture")
        verbose_name_plural = _("lignes d'écriture")
        indexes = [models.Index(fields=["account", "transaction"], name="ledger_entry_account")]
        constraints = [models.CheckConstraint(name="ledger_entry_not_zero", condition=~models.Q(amount_cents=0))]

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("Ledger entries are never updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Ledger entries are never deleted.")
