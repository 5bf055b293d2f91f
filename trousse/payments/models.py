import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from trousse.accounts.models import DepartmentalAssociation
from trousse.campaigns.models import Campaign

from .failures import failure_reason


class DonationStatus(models.TextChoices):
    PENDING = "pending", _("en attente de paiement")
    PROCESSING = "processing", _("paiement en cours")
    SUCCEEDED = "succeeded", _("reçu")
    FAILED = "failed", _("échoué")
    CANCELLED = "cancelled", _("annulé")
    PARTIALLY_REFUNDED = "partially_refunded", _("partiellement remboursé")
    REFUNDED = "refunded", _("remboursé")
    DISPUTED = "disputed", _("contesté")


# Never backwards (DESIGN.md): a late `processing` after `succeeded` is not in the table.
# SEPA may report `succeeded` after `failed` for the same PaymentIntent: allowed.
DONATION_TRANSITIONS: dict[str, set[str]] = {
    DonationStatus.PENDING: {DonationStatus.PROCESSING, DonationStatus.SUCCEEDED, DonationStatus.FAILED, DonationStatus.CANCELLED},
    DonationStatus.PROCESSING: {DonationStatus.SUCCEEDED, DonationStatus.FAILED, DonationStatus.CANCELLED},
    DonationStatus.FAILED: {DonationStatus.SUCCEEDED},
    DonationStatus.CANCELLED: set(),
    DonationStatus.SUCCEEDED: {DonationStatus.PARTIALLY_REFUNDED, DonationStatus.REFUNDED, DonationStatus.DISPUTED},
    DonationStatus.PARTIALLY_REFUNDED: {DonationStatus.PARTIALLY_REFUNDED, DonationStatus.REFUNDED, DonationStatus.DISPUTED},
    DonationStatus.DISPUTED: {DonationStatus.SUCCEEDED, DonationStatus.REFUNDED},
    DonationStatus.REFUNDED: set(),
}

# Money that reached us and counts toward the campaign (net of refunds).
PAID_STATUSES = (DonationStatus.SUCCEEDED, DonationStatus.PARTIALLY_REFUNDED, DonationStatus.DISPUTED)


class PaymentMethod(models.TextChoices):
    CARD = "card", _("carte bancaire")
    SEPA_DEBIT = "sepa_debit", _("prélèvement SEPA")


class DonorType(models.TextChoices):
    INDIVIDUAL = "individual", _("particulier")
    BUSINESS = "business", _("entreprise")


def donor_display_name(donor_type: str, company_name: str, first_name: str, last_name: str) -> str:
    """How a donor is named where names are shown: the company for a business, else the person."""
    if donor_type == DonorType.BUSINESS and company_name:
        return company_name
    return f"{first_name} {last_name}".strip()


class Donation(models.Model):
    """A gift to a campaign. The row exists before its PaymentIntent (STYLE.md)."""

    # Unguessable id for the donor's return page and links (no account needed).
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="donations")
    amount_cents = models.PositiveBigIntegerField(_("montant"))
    method = models.CharField(_("moyen de paiement"), max_length=20, choices=PaymentMethod.choices, default=PaymentMethod.CARD)
    status = models.CharField(_("état"), max_length=20, choices=DonationStatus.choices, default=DonationStatus.PENDING)
    refunded_cents = models.PositiveBigIntegerField(_("remboursé"), default=0)
    disputed_cents = models.PositiveBigIntegerField(_("contesté"), default=0)

    donor_type = models.CharField(_("vous donnez en tant que"), max_length=20, choices=DonorType.choices, default=DonorType.INDIVIDUAL)
    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom"), max_length=100)
    email = models.EmailField(_("adresse e-mail"))
    company_name = models.CharField(_("raison sociale"), max_length=200, blank=True)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    address_line = models.CharField(_("adresse"), max_length=250, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("commune"), max_length=120, blank=True)
    country = models.CharField(_("pays"), max_length=2, default="FR")
    wants_tax_receipt = models.BooleanField(_("je souhaite un reçu fiscal"), default=False)
    # A parent paying toward their own child's class gets a counterpart: not a gift (DESIGN.md).
    is_parent_of_pupil = models.BooleanField(_("je suis parent d'un élève de la classe"), default=False)
    # What the donor gets back (a postcard, a show ticket, a logo on the T-shirts): above 25 %
    # of the gift or 73 €, the payment is a purchase and gets no tax receipt (DESIGN.md).
    # db_default too: rows written in bulk by SQL (the bench's seed, imports) get 0, not NULL.
    counterpart_cents = models.PositiveBigIntegerField(_("valeur de la contrepartie reçue"), default=0, db_default=0)
    public_message = models.CharField(_("message public"), max_length=500, blank=True)
    is_anonymous = models.BooleanField(_("don anonyme sur la page du projet"), default=False)
    # The language of the page the donor gave from (one of settings.LANGUAGES): every e-mail
    # to them is written in it. db_default: rows written by SQL (the bench's seed) get "fr".
    language = models.CharField(_("langue"), max_length=8, default="fr", db_default="fr")

    stripe_payment_intent_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    stripe_charge_id = models.CharField(max_length=255, blank=True, db_index=True)
    # Stripe's text, in English: for the people who look into a failure, never shown to the donor.
    failure_message = models.CharField(max_length=500, blank=True)
    # Stripe's decline or error code: the donor is told why in their language (failure_reason).
    # db_default: rows written by SQL (the bench's seed) get "".
    failure_code = models.CharField(max_length=60, blank=True, default="", db_default="")
    created_at = models.DateTimeField(auto_now_add=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    # When the thank-you e-mail went out: a lost job is re-sent by the sweep (tasks.py).
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("don")
        verbose_name_plural = _("dons")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["campaign", "status", "-created_at"], name="donation_campaign_status"),
            models.Index(fields=["status", "created_at"], name="donation_status_created"),
            models.Index(fields=["email"], name="donation_email"),
            # The campaign page's public messages, newest first: a few rows read, not every donation.
            models.Index(fields=["campaign", "-succeeded_at", "-id"], name="donation_public_messages", condition=~models.Q(public_message="")),
            # The sweep's thank-you e-mails still to send: only those rows, few at any time.
            models.Index(fields=["succeeded_at"], name="donation_unthanked", condition=models.Q(confirmation_sent_at__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(name="donation_refunds_within_amount", condition=Q(refunded_cents__lte=F("amount_cents"))),
            models.CheckConstraint(name="donation_minimum_amount", condition=Q(amount_cents__gte=500)),
            models.CheckConstraint(name="donation_status_valid", condition=Q(status__in=DonationStatus.values)),
        ]

    def __str__(self) -> str:
        return f"Don {self.pk} – {self.amount_cents} c – {self.status}"

    @property
    def donor_display_name(self) -> str:
        return donor_display_name(self.donor_type, self.company_name, self.first_name, self.last_name)

    @property
    def failure_reason(self) -> str:
        """Why the payment failed, in the active language (a row from before failure_code gets the generic sentence)."""
        return failure_reason(self.failure_code, method=self.method)

    @property
    def net_cents(self) -> int:
        return self.amount_cents - self.refunded_cents


class DonationTransition(models.Model):
    donation = models.ForeignKey(Donation, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=DonationStatus.choices)
    to_status = models.CharField(max_length=20, choices=DonationStatus.choices)
    # webhook, return, reconciliation, admin, ...
    source = models.CharField(max_length=30)
    stripe_event_id = models.CharField(max_length=255, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    comment = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class StripeEvent(models.Model):
    """Each webhook event stored once: its unique id is the first exactly-once guard."""

    stripe_event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("à envoyer")
    SUCCEEDED = "succeeded", _("effectué")
    FAILED = "failed", _("échoué")


class Refund(models.Model):
    """A refund, written before Stripe is asked (its id is the idempotency key), so a crash resumes it."""

    donation = models.ForeignKey(Donation, on_delete=models.PROTECT, related_name="refunds")
    amount_cents = models.PositiveBigIntegerField(_("montant"))
    reason = models.CharField(_("motif"), max_length=300)
    status = models.CharField(max_length=20, choices=RefundStatus.choices, default=RefundStatus.PENDING)
    stripe_refund_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # When the donor was told (or found erased): the sweep re-sends a notice whose job was lost.
    notice_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="refund_status_created"),
            models.Index(fields=["completed_at"], condition=Q(notice_sent_at__isnull=True), name="refund_unnoticed"),
        ]
        constraints = [models.CheckConstraint(name="refund_positive", condition=Q(amount_cents__gt=0))]


class TaxReceiptStatus(models.TextChoices):
    ISSUED = "issued", _("émis")
    CANCELLED = "cancelled", _("annulé")


class TaxReceiptForm(models.TextChoices):
    # Cerfa n° 11580*05 (individuals, art. 200 CGI) and n° 16216*01 (businesses, art. 238 bis CGI).
    INDIVIDUAL = "individual", _("Cerfa n° 11580*05 (particulier)")
    BUSINESS = "business", _("Cerfa n° 16216*01 (entreprise)")


class TaxReceipt(models.Model):
    """A tax receipt issued by an AD. Numbered without gaps, frozen at issue, never deleted."""

    ad = models.ForeignKey(DepartmentalAssociation, on_delete=models.PROTECT, related_name="tax_receipts")
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(max_length=30, unique=True)  # "79-2026-000001"
    form = models.CharField(max_length=20, choices=TaxReceiptForm.choices)
    is_annual = models.BooleanField(default=False, help_text=_("Reçu récapitulatif annuel"))
    donations = models.ManyToManyField(Donation, related_name="tax_receipts")
    status = models.CharField(max_length=20, choices=TaxReceiptStatus.choices, default=TaxReceiptStatus.ISSUED)
    amount_cents = models.PositiveBigIntegerField()
    # Donor and signatory as they were at issue: later edits never change a receipt.
    donor_name = models.CharField(max_length=250)
    company_name = models.CharField(max_length=200, blank=True)
    siret = models.CharField(max_length=14, blank=True)
    donor_address = models.TextField()
    donor_email = models.EmailField()
    gift_date = models.DateField()
    payment_form = models.CharField(max_length=60)
    president_name = models.CharField(max_length=200)
    pdf = models.FileField(upload_to="tax_receipts/", blank=True)
    issued_at = models.DateTimeField(auto_now_add=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["ad", "year", "sequence"]
        constraints = [models.UniqueConstraint(fields=["ad", "year", "sequence"], name="tax_receipt_gapless_sequence")]
        indexes = [models.Index(fields=["ad", "year", "status"], name="tax_receipt_ad_year")]

    def __str__(self) -> str:
        return self.number


class TaxReceiptSequence(models.Model):
    """The last number given per AD and year, locked (select_for_update) to allocate the next one."""

    ad = models.ForeignKey(DepartmentalAssociation, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ad", "year"], name="tax_receipt_sequence_unique")]
