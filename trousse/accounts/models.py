from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .validators import validate_bic, validate_iban, validate_siret, validate_uai


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """Someone who logs in: teachers, animators, mandataires, AD and federation staff.

    Donors need no account.
    """

    email = models.EmailField(_("adresse e-mail"), unique=True)
    first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    last_name = models.CharField(_("nom"), max_length=150, blank=True)
    is_staff = models.BooleanField(_("accès à l'administration"), default=False)
    is_active = models.BooleanField(_("actif"), default=True)
    date_joined = models.DateTimeField(_("inscrit le"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email


class DepartmentalAssociation(models.Model):
    """An AD (e.g. "OCCE 79"): the legal recipient of donations, which issues tax receipts."""

    number = models.CharField(_("numéro de département"), max_length=3, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    address = models.TextField(_("adresse"))
    siret = models.CharField(_("SIRET"), max_length=14, validators=[validate_siret])
    president_name = models.CharField(_("président·e"), max_length=200)
    president_signature = models.ImageField(_("signature du président"), upload_to="signatures/", blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, validators=[validate_iban], blank=True)
    bic = models.CharField(_("BIC"), max_length=11, validators=[validate_bic], blank=True)

    class Meta:
        verbose_name = _("association départementale")
        verbose_name_plural = _("associations départementales")
        ordering = ["number"]

    def __str__(self) -> str:
        return f"OCCE {self.number} – {self.name}"


class Cooperative(models.Model):
    """A school cooperative, member of its AD; its mandataire keeps its books."""

    ad = models.ForeignKey(DepartmentalAssociation, on_delete=models.PROTECT, related_name="cooperatives", verbose_name=_("AD"))
    name = models.CharField(_("nom"), max_length=200)
    affiliation_number = models.CharField(_("numéro d'affiliation OCCE"), max_length=20, unique=True)
    school_name = models.CharField(_("école"), max_length=200)
    uai = models.CharField(_("code UAI"), max_length=8, unique=True, validators=[validate_uai])
    city = models.CharField(_("commune"), max_length=120)
    iban = models.CharField(_("IBAN"), max_length=34, validators=[validate_iban])

    class Meta:
        verbose_name = _("coopérative scolaire")
        verbose_name_plural = _("coopératives scolaires")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.city})"


class Role(models.TextChoices):
    TEACHER = "teacher", _("enseignant·e")
    MANDATAIRE = "mandataire", _("mandataire")
    ANIMATOR = "animator", _("animateur·rice départemental·e")
    AD_TREASURER = "ad_treasurer", _("trésorier·e ou président·e d'AD")
    FEDERATION_ADMIN = "federation_admin", _("administrateur·rice fédéral·e")


COOPERATIVE_ROLES = frozenset({Role.TEACHER.value, Role.MANDATAIRE.value})
AD_ROLES = frozenset({Role.ANIMATOR.value, Role.AD_TREASURER.value})


class Membership(models.Model):
    """A role held *in* an organisation: every permission in La Trousse derives from these."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)
    cooperative = models.ForeignKey(Cooperative, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships")
    ad = models.ForeignKey(DepartmentalAssociation, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rôle")
        verbose_name_plural = _("rôles")
        constraints = [
            models.CheckConstraint(
                name="membership_organisation_matches_role",
                condition=(
                    Q(role__in=sorted(COOPERATIVE_ROLES), cooperative__isnull=False, ad__isnull=True)
                    | Q(role__in=sorted(AD_ROLES), ad__isnull=False, cooperative__isnull=True)
                    | Q(role=Role.FEDERATION_ADMIN, ad__isnull=True, cooperative__isnull=True)
                ),
            ),
            models.UniqueConstraint(fields=["user", "role", "cooperative"], condition=Q(cooperative__isnull=False), name="membership_unique_cooperative"),
            models.UniqueConstraint(fields=["user", "role", "ad"], condition=Q(ad__isnull=False), name="membership_unique_ad"),
            models.UniqueConstraint(fields=["user"], condition=Q(role=Role.FEDERATION_ADMIN), name="membership_unique_federation"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.cooperative or self.ad or 'fédération'}"
