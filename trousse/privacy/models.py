"""Donors' rights and the retention of personal data (RGPD).

What is kept and for how long is decided by law, not by taste: tax receipts 6
years (article L102 B of the livre des procédures fiscales), accounting records
10 years (article L123-22 of the code de commerce). Everything else about a
donor goes once it is no longer needed.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trousse.accounts.models import DepartmentalAssociation
from trousse.campaigns.models import Campaign
from trousse.payments.models import Donation


class PictureRetention(models.Model):
    """The teacher's choice to keep the pupils' pictures after the retention period.

    Without this row (or with `keep_with_consent` off), the pictures of a campaign
    closed, failed or cancelled for longer than the period are deleted.
    """

    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, related_name="picture_retention", verbose_name=_("projet"))
    keep_with_consent = models.BooleanField(
        _("conserver les photos"),
        default=False,
        help_text=_("Les familles des élèves reconnaissables ont accepté que les photos restent en ligne après le projet."),
    )
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("confirmé par"))
    confirmed_at = models.DateTimeField(_("confirmé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("conservation des photos")
        verbose_name_plural = _("conservations des photos")

    def __str__(self) -> str:
        return f"{self.campaign} – {'conservées' if self.keep_with_consent else 'effacées à échéance'}"


class AccessPurpose(models.TextChoices):
    DONOR_LIST = "donor_list", _("liste des donateurs")
    DONATIONS_EXPORT = "donations_export", _("export des dons")
    TAX_RECEIPTS = "tax_receipts", _("reçus fiscaux")
    ADMIN = "admin", _("administration")
    SUPPORT = "support", _("assistance à un donateur")
    OTHER = "other", _("autre")


class PersonalDataAccess(models.Model):
    """One read of a donor's personal data by staff: who, what, when, why, from where.

    `ad` is copied from the campaign so that an AD's staff read their own log with
    one indexed filter.
    """

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("consulté par"))
    donation = models.ForeignKey(Donation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("don"))
    subject_email = models.EmailField(_("donateur (e-mail)"), blank=True)
    campaign = models.ForeignKey(Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("projet"))
    ad = models.ForeignKey(DepartmentalAssociation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("AD"))
    purpose = models.CharField(_("motif"), max_length=40, choices=AccessPurpose.choices)
    path = models.CharField(_("page"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("accès à des données personnelles")
        verbose_name_plural = _("journal des accès aux données personnelles")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["ad", "-created_at"], name="pdaccess_ad_time"),
            models.Index(fields=["subject_email"], name="pdaccess_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_id} – {self.purpose} – {self.created_at:%Y-%m-%d %H:%M}"


class DonorDataRequest(models.Model):
    """A donor's request for their data: the signed link carries `public_id`, never the e-mail.

    Short-lived: the retention job deletes rows once their link has expired.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("demande d'accès d'un donateur")
        verbose_name_plural = _("demandes d'accès des donateurs")


class ErasureSource(models.TextChoices):
    DONOR = "donor", _("demande du donateur")
    RETENTION = "retention", _("fin de la durée de conservation")


class ErasureRecord(models.Model):
    """Proof that an erasure happened (RGPD art. 5.2, accountability), holding no personal data."""

    source = models.CharField(_("origine"), max_length=20, choices=ErasureSource.choices)
    # A keyed hash of the e-mail: lets us answer "was this address erased?" without keeping it.
    email_digest = models.CharField(max_length=64, blank=True)
    donations_count = models.PositiveIntegerField(default=0)
    receipts_kept_count = models.PositiveIntegerField(default=0)
    receipts_anonymised_count = models.PositiveIntegerField(default=0)
    pictures_deleted_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("effacement")
        verbose_name_plural = _("effacements")
        ordering = ["-created_at", "-id"]
