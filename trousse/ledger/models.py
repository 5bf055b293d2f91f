"""The double-entry ledger (DESIGN.md, Money): append-only, every transaction sums to zero.

Sign convention: an entry's amount is what its account *receives* (positive) or
gives (negative). A campaign fund's balance is the money held for that campaign.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
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

    @property
    def label(self) -> str:
        """The account's name for a person (the books export's "Compte"); `code` stays the stable key for imports.

        Reads the owner's title or name: select_related("campaign", "cooperative", "ad") where many are shown.
        """
        if self.kind == AccountKind.CAMPAIGN_FUND and self.campaign is not None:
            return gettext("Fonds du projet « %(title)s »") % {"title": self.campaign.title}
        if self.kind == AccountKind.COOPERATIVE and self.cooperative is not None:
            return gettext("Coopérative %(school)s (%(city)s)") % {"school": self.cooperative.school_name, "city": self.cooperative.city}
        if self.kind == AccountKind.AD and self.ad is not None:
            return gettext("Association départementale %(name)s (%(number)s)") % {"name": self.ad.name, "number": self.ad.number}
        labels = {
            AccountKind.STRIPE_CLEARING: gettext("Stripe – fonds en transit"),
            AccountKind.FEES: gettext("Frais de paiement"),
            AccountKind.DISPUTES: gettext("Paiements contestés – fonds gelés"),
            AccountKind.SUPPLIERS: gettext("Fournisseurs"),
        }
        if self.kind in labels:
            return labels[self.kind]
        # An owned kind without its owner is never posted to; its kind's name still reads better than a key.
        return str(AccountKind(self.kind).label) if self.kind in AccountKind.values else self.code


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
    # The campaign the movement belongs to (derived from its accounts, or given for
    # cooperative-side movements such as expenses): the books export and budget view filter on it.
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_transactions")
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


# ---------------------------------------------------------------------------
# Money out: disbursements to cooperatives, expenses with receipts, closing.
# ---------------------------------------------------------------------------


class BatchStatus(models.TextChoices):
    PREPARED = "prepared", _("préparé (à transmettre à la banque)")
    EXECUTED = "executed", _("exécuté")
    CANCELLED = "cancelled", _("annulé")


class DisbursementBatch(models.Model):
    """One SEPA credit transfer file (pain.001) an AD treasurer uploads to the AD's bank."""

    ad = models.ForeignKey(DepartmentalAssociation, on_delete=models.PROTECT, related_name="disbursement_batches", verbose_name=_("AD"))
    status = models.CharField(_("état"), max_length=20, choices=BatchStatus.choices, default=BatchStatus.PREPARED)
    execution_date = models.DateField(_("date d'exécution demandée"))
    message_id = models.CharField(max_length=35, unique=True)
    total_cents = models.PositiveBigIntegerField(_("total"))
    # The file as sent to the bank: kept verbatim, never regenerated after the fact.
    sepa_xml = models.TextField(editable=False)
    debtor_iban = models.CharField(max_length=34)
    debtor_bic = models.CharField(max_length=11)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    executed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    executed_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("lot de versements")
        verbose_name_plural = _("lots de versements")
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(name="batch_status_valid", condition=models.Q(status__in=BatchStatus.values))]

    def __str__(self) -> str:
        return f"{self.message_id} ({self.get_status_display()})"


class DisbursementItem(models.Model):
    """One transfer of a batch: part or all of a campaign's fund to its cooperative."""

    batch = models.ForeignKey(DisbursementBatch, on_delete=models.PROTECT, related_name="items")
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="disbursement_items")
    cooperative = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="disbursement_items")
    amount_cents = models.PositiveBigIntegerField(_("montant"))
    # Frozen at batch creation: the file sent to the bank is what the books show.
    creditor_iban = models.CharField(max_length=34)
    end_to_end_id = models.CharField(max_length=35, unique=True)
    # Mirrors the batch's status so that the database itself refuses two open batches for one campaign.
    status = models.CharField(max_length=20, choices=BatchStatus.choices, default=BatchStatus.PREPARED)

    class Meta:
        verbose_name = _("versement")
        verbose_name_plural = _("versements")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(name="disbursement_item_positive", condition=models.Q(amount_cents__gt=0)),
            models.UniqueConstraint(fields=["campaign"], condition=models.Q(status="prepared"), name="disbursement_one_open_batch_per_campaign"),
        ]


class ExpenseStatus(models.TextChoices):
    DRAFT = "draft", _("brouillon")
    SUBMITTED = "submitted", _("à approuver")
    INCOMPLETE = "incomplete", _("à compléter")
    APPROVED = "approved", _("approuvée")
    REJECTED = "rejected", _("refusée")
    PAID = "paid", _("payée")


EXPENSE_TRANSITIONS: dict[str, set[str]] = {
    ExpenseStatus.DRAFT: {ExpenseStatus.SUBMITTED},
    ExpenseStatus.SUBMITTED: {ExpenseStatus.APPROVED, ExpenseStatus.REJECTED, ExpenseStatus.INCOMPLETE},
    ExpenseStatus.INCOMPLETE: {ExpenseStatus.SUBMITTED},
    ExpenseStatus.APPROVED: {ExpenseStatus.PAID},
    ExpenseStatus.REJECTED: set(),
    ExpenseStatus.PAID: set(),
}
# Money the cooperative has committed (counts against what was disbursed).
COMMITTED_EXPENSE_STATUSES = (ExpenseStatus.SUBMITTED, ExpenseStatus.APPROVED, ExpenseStatus.PAID)


class ExpensePaymentMethod(models.TextChoices):
    TRANSFER = "transfer", _("virement")
    CARD = "card", _("carte bancaire")
    CHEQUE = "cheque", _("chèque")
    DIRECT_DEBIT = "direct_debit", _("prélèvement")
    CASH = "cash", _("espèces")


class ReceiptKind(models.TextChoices):
    IMAGE = "image", _("photo")
    PDF = "pdf", _("PDF")


def expense_receipt_path(instance: "Expense", filename: str) -> str:
    # Unguessable names: receipts are private, even on a public bucket listing.
    import uuid

    extension = "pdf" if filename.lower().endswith(".pdf") else "jpg"
    return f"receipts/{instance.cooperative_id}/{uuid.uuid4().hex}.{extension}"


class Expense(models.Model):
    """A cooperative's spending on a campaign's budget line, with its receipt (justificatif)."""

    cooperative = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="expenses", verbose_name=_("coopérative"))
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="expenses", verbose_name=_("projet"))
    budget_line = models.ForeignKey("campaigns.BudgetLine", on_delete=models.PROTECT, related_name="expenses", verbose_name=_("ligne de budget"))
    date = models.DateField(_("date de la dépense"))
    supplier = models.CharField(_("fournisseur"), max_length=200)
    amount_cents = models.PositiveBigIntegerField(_("montant"))
    payment_method = models.CharField(_("moyen de paiement"), max_length=20, choices=ExpensePaymentMethod.choices)
    description = models.CharField(_("objet"), max_length=300, blank=True)
    receipt = models.FileField(_("justificatif"), upload_to=expense_receipt_path, blank=True, max_length=200)
    receipt_kind = models.CharField(max_length=10, choices=ReceiptKind.choices, blank=True)
    receipt_original_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(_("état"), max_length=20, choices=ExpenseStatus.choices, default=ExpenseStatus.DRAFT)
    review_comment = models.CharField(_("commentaire"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    paid_at = models.DateTimeField(null=True, blank=True)
    # Bank reconciliation: the statement line this expense matches.
    reconciled_at = models.DateTimeField(null=True, blank=True)
    reconciled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    bank_statement_date = models.DateField(_("date du relevé"), null=True, blank=True)
    bank_statement_label = models.CharField(_("libellé du relevé"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("dépense")
        verbose_name_plural = _("dépenses")
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["campaign", "status"], name="expense_campaign_status"),
            models.Index(fields=["cooperative", "date"], name="expense_cooperative_date"),
        ]
        constraints = [
            models.CheckConstraint(name="expense_positive", condition=models.Q(amount_cents__gt=0)),
            models.CheckConstraint(name="expense_status_valid", condition=models.Q(status__in=ExpenseStatus.values)),
        ]

    def __str__(self) -> str:
        return f"{self.supplier} – {self.amount_cents} c"

    @property
    def receipt_reference(self) -> str:
        """The reference printed in the books export and inside the receipts ZIP."""
        return f"DEP-{self.pk:06d}" if self.pk else ""

    @property
    def is_reconciled(self) -> bool:
        return self.reconciled_at is not None


class ExpenseTransition(models.Model):
    """Who moved an expense, from what to what, and why."""

    expense = models.ForeignKey(Expense, on_delete=models.CASCADE, related_name="transitions")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_status = models.CharField(max_length=20, choices=ExpenseStatus.choices)
    to_status = models.CharField(max_length=20, choices=ExpenseStatus.choices)
    comment = models.CharField(max_length=500, blank=True)
    # An approval the reviewer confirmed although the receipt was missing: the audit says so, whatever the comment.
    without_receipt = models.BooleanField(_("sans justificatif"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


def final_report_image_path(instance: "FinalReportImage", filename: str) -> str:
    return f"final_reports/{instance.report.campaign_id}/{filename}"


class FinalReport(models.Model):
    """The teacher's account of what the project did with the money.

    It lives in the ledger app because publishing it is the closing of the
    campaign's books: the campaign is closed once the report is out and every
    disbursed euro is covered by paid expenses or a documented refund to the AD.
    """

    campaign = models.OneToOneField(Campaign, on_delete=models.PROTECT, related_name="final_report")
    body = models.TextField(_("bilan (Markdown)"))
    # Rendered and sanitised by the service that writes `body`.
    body_html = models.TextField(editable=False, default="")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    donors_emailed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("bilan du projet")
        verbose_name_plural = _("bilans des projets")


class FinalReportImage(models.Model):
    """A picture of the final report, always re-encoded (EXIF and GPS stripped)."""

    report = models.ForeignKey(FinalReport, on_delete=models.CASCADE, related_name="images")
    large = models.ImageField(upload_to=final_report_image_path, width_field="width", height_field="height")
    thumbnail = models.ImageField(upload_to=final_report_image_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    alt_text = models.CharField(_("description de l'image"), max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
