from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from trousse.accounts.models import Cooperative

# Goals above this need the AD's explicit exception (DESIGN.md).
GOAL_CEILING_CENTS = 500_000
MINIMUM_DONATION_CENTS = 500
MAX_CAMPAIGN_DAYS = 90


class Status(models.TextChoices):
    DRAFT = "draft", _("brouillon")
    SUBMITTED = "submitted", _("en relecture")
    APPROVED = "approved", _("validé")
    REJECTED = "rejected", _("refusé")
    LIVE = "live", _("en collecte")
    SUCCEEDED = "succeeded", _("réussi")
    FAILED = "failed", _("non financé")
    FUNDED = "funded", _("versé à la coopérative")
    CLOSED = "closed", _("clôturé")
    CANCELLED = "cancelled", _("annulé")


# The campaign's life (DESIGN.md) as data: every move goes through
# campaigns.services.campaign_transition, which checks this table.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    Status.DRAFT: {Status.SUBMITTED, Status.CANCELLED},
    Status.SUBMITTED: {Status.APPROVED, Status.DRAFT, Status.REJECTED, Status.CANCELLED},
    # An edit to an approved or live campaign no longer moves it: it waits in a
    # CampaignRevision while the approved version stays public and keeps collecting.
    Status.APPROVED: {Status.LIVE, Status.CANCELLED},
    Status.LIVE: {Status.SUCCEEDED, Status.FAILED, Status.CANCELLED},
    Status.SUCCEEDED: {Status.FUNDED},
    Status.FUNDED: {Status.CLOSED},
    Status.REJECTED: set(),
    Status.FAILED: set(),
    Status.CLOSED: set(),
    Status.CANCELLED: set(),
}

# Statuses whose campaign shows on public pages.
PUBLIC_STATUSES = (Status.LIVE, Status.SUCCEEDED, Status.FUNDED, Status.CLOSED, Status.FAILED)
# Statuses whose donations go back to the donors: not funded, cancelled, or rejected after
# an edit sent a live campaign back to review (campaigns edited before revisions existed:
# their donations must not stay stuck there).
REFUNDING_STATUSES = (Status.FAILED, Status.CANCELLED, Status.REJECTED)
# Statuses a teacher may edit: freely before approval, through a revision after it.
EDITABLE_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.LIVE)
# Approved content is public (or about to be): an edit waits in a revision for the animator.
REVISED_STATUSES = (Status.APPROVED, Status.LIVE)

# The fields a teacher writes; all are public text or money, so a change to any of
# them on an approved or live campaign waits for the animator in a revision.
EDITABLE_FIELDS = (
    "title",
    "summary",
    "description",
    "theme",
    "school_level",
    "pupils_count",
    "minimum_goal_cents",
    "optimum_goal_cents",
    "co_funding_cents",
    "co_funding_description",
    "start_date",
    "deadline",
)


class Theme(models.TextChoices):
    READING_WRITING = "reading_writing", _("Lecture et écriture")
    ARTS_CULTURE = "arts_culture", _("Arts et culture")
    SCIENCES = "sciences", _("Sciences")
    ENVIRONMENT = "environment", _("Environnement")
    CITIZENSHIP = "citizenship", _("Citoyenneté")
    SPORT = "sport", _("Sport")
    SCHOOL_TRIP = "school_trip", _("Sortie et voyage scolaire")
    OTHER = "other", _("Autre")


class SchoolLevel(models.TextChoices):
    MATERNELLE = "maternelle", _("Maternelle")
    ELEMENTAIRE = "elementaire", _("Élémentaire")
    COLLEGE = "college", _("Collège")
    LYCEE = "lycee", _("Lycée")


class Campaign(models.Model):
    cooperative = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("coopérative"))
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("enseignant·e"))
    title = models.CharField(_("titre"), max_length=120)
    slug = models.SlugField(_("adresse"), max_length=140, unique=True)
    summary = models.CharField(_("résumé"), max_length=300)
    description = models.TextField(_("description (Markdown)"))
    # Rendered from `description` by the service that writes it, then sanitised.
    description_html = models.TextField(editable=False, default="")
    theme = models.CharField(_("thème"), max_length=20, choices=Theme.choices)
    school_level = models.CharField(_("niveau"), max_length=20, choices=SchoolLevel.choices)
    pupils_count = models.PositiveSmallIntegerField(_("nombre d'élèves"))
    minimum_goal_cents = models.PositiveBigIntegerField(_("objectif minimum"))
    optimum_goal_cents = models.PositiveBigIntegerField(_("objectif optimum"))
    co_funding_cents = models.PositiveBigIntegerField(_("cofinancements déclarés"), default=0)
    co_funding_description = models.CharField(_("origine des cofinancements"), max_length=300, blank=True)
    goal_exception = models.BooleanField(
        _("dérogation de l'AD"), default=False, help_text=_("Autorise un objectif au-delà de 5 000 €, accordée par l'AD.")
    )
    start_date = models.DateField(_("début de la collecte"))
    deadline = models.DateField(_("fin de la collecte"))
    status = models.CharField(_("état"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    # Denormalised from the ledger in the same transaction as each donation; `ledger_check` proves it.
    raised_cents = models.PositiveBigIntegerField(_("collecté"), default=0)
    donors_count = models.PositiveIntegerField(_("donateurs"), default=0)
    # The public content as last approved: the animator's diff is against it.
    approved_snapshot = models.JSONField(null=True, blank=True, editable=False)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("projet")
        verbose_name_plural = _("projets")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="campaign_status_created"),
            models.Index(fields=["status", "theme"], name="campaign_status_theme"),
            models.Index(fields=["status", "school_level"], name="campaign_status_level"),
            models.Index(fields=["status", "deadline"], name="campaign_status_deadline"),
            models.Index(fields=["status", "start_date"], name="campaign_status_start"),
            models.Index(fields=["status", "submitted_at"], name="campaign_review_queue"),
        ]
        constraints = [
            models.CheckConstraint(name="campaign_optimum_at_least_minimum", condition=Q(optimum_goal_cents__gte=F("minimum_goal_cents"))),
            models.CheckConstraint(name="campaign_deadline_after_start", condition=Q(deadline__gt=F("start_date"))),
            models.CheckConstraint(name="campaign_status_valid", condition=Q(status__in=Status.values)),
        ]

    def __str__(self) -> str:
        return self.title

    # As get_FOO_display() gives them: that one rebuilds a dict of the choices at each call,
    # hashing every lazy label (a translation lookup each); a listing of cards paid for it.
    @property
    def theme_label(self) -> str:
        return THEME_LABELS.get(self.theme, self.theme)

    @property
    def school_level_label(self) -> str:
        return SCHOOL_LEVEL_LABELS.get(self.school_level, self.school_level)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES

    @property
    def budget_total_cents(self) -> int:
        # Uses the prefetched lines when a selector loaded them.
        return sum(line.amount_cents for line in self.budget_lines.all())


class BudgetCategory(models.TextChoices):
    EQUIPMENT = "equipment", _("Matériel")
    BOOKS = "books", _("Livres et fournitures")
    TRANSPORT = "transport", _("Transport")
    ACCOMMODATION = "accommodation", _("Hébergement et repas")
    ACTIVITIES = "activities", _("Entrées, ateliers, intervenants")
    SERVICES = "services", _("Prestations")
    OTHER = "other", _("Autre")


# Labels by value, built once (lazy: translated when shown).
THEME_LABELS = dict(Theme.choices)
SCHOOL_LEVEL_LABELS = dict(SchoolLevel.choices)
STATUS_LABELS = dict(Status.choices)
BUDGET_CATEGORY_LABELS = dict(BudgetCategory.choices)


class BudgetLine(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="budget_lines")
    label = models.CharField(_("libellé"), max_length=200)
    category = models.CharField(_("catégorie"), max_length=20, choices=BudgetCategory.choices)
    amount_cents = models.PositiveBigIntegerField(_("montant"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("ligne de budget")
        verbose_name_plural = _("lignes de budget")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label


def campaign_image_path(instance: "CampaignImage", filename: str) -> str:
    return f"campaigns/{instance.campaign_id}/{filename}"


class CampaignImage(models.Model):
    """A picture, always re-encoded by the upload service (EXIF and GPS stripped)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="images")
    large = models.ImageField(upload_to=campaign_image_path, width_field="width", height_field="height")
    thumbnail = models.ImageField(upload_to=campaign_image_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    alt_text = models.CharField(_("description de l'image"), max_length=200)
    consent_confirmed = models.BooleanField(
        _("consentement parental"), default=False, help_text=_("Les parents des élèves reconnaissables ont donné leur accord.")
    )
    position = models.PositiveSmallIntegerField(default=0)
    # False for a picture added to an approved or live campaign: it shows once the
    # animator approves the campaign's revision (it is deleted if the revision is not).
    published = models.BooleanField(_("publiée"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("image")
        verbose_name_plural = _("images")
        ordering = ["position", "id"]


class CampaignUpdate(models.Model):
    """News posted by the teacher to the campaign page."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("titre"), max_length=150)
    body = models.TextField(_("texte (Markdown)"))
    body_html = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("nouvelle")
        verbose_name_plural = _("nouvelles")
        ordering = ["-created_at"]


class CampaignTransition(models.Model):
    """One row per move of the life cycle: the audit trail (who, when, from, to, why)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="transitions")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    from_status = models.CharField(max_length=20, choices=Status.choices)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("changement d'état")
        verbose_name_plural = _("historique")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["campaign", "created_at"], name="transition_campaign_time")]


class RevisionState(models.TextChoices):
    PENDING = "pending", _("en relecture")
    CHANGES_REQUESTED = "changes_requested", _("modifications demandées")
    APPROVED = "approved", _("validée")
    REJECTED = "rejected", _("refusée")
    DISCARDED = "discarded", _("abandonnée")


# A revision the teacher or the animator still works on; at most one per campaign.
OPEN_REVISION_STATES = (RevisionState.PENDING, RevisionState.CHANGES_REQUESTED)


class CampaignRevision(models.Model):
    """A teacher's change to an approved or live campaign, waiting for the animator.

    The campaign row, its budget lines and its status stay as approved: its page
    stays public and donations go on against the approved text and goals. The
    proposal is written onto the campaign only when the animator approves it.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("projet"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("proposée par"))
    # The teacher's fields (EDITABLE_FIELDS), dates as ISO text, as in approved_snapshot.
    values = models.JSONField()
    # [{"label", "category", "amount_cents"}], in order.
    budget_lines = models.JSONField()
    state = models.CharField(_("état"), max_length=20, choices=RevisionState.choices, default=RevisionState.PENDING)
    # Bumped by every change of the proposal: a decision names the version the animator read,
    # so a proposal changed in the meantime is never applied unseen.
    version = models.PositiveIntegerField(default=1)
    # When the proposal was (re)sent to the animator: the review queue's waiting time.
    submitted_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    # The campaign's move out of approved/live that dropped the revision still waiting (the
    # audit trail tells the teacher why their change went); empty for any other closing.
    dropped_by = models.ForeignKey("CampaignTransition", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("modification en relecture")
        verbose_name_plural = _("modifications en relecture")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign"], condition=Q(state__in=OPEN_REVISION_STATES), name="revision_one_open_per_campaign"),
            models.CheckConstraint(name="revision_state_valid", condition=Q(state__in=RevisionState.values)),
        ]
        indexes = [models.Index(fields=["state", "submitted_at"], name="revision_review_queue")]

    def __str__(self) -> str:
        return f"{self.campaign} – {self.get_state_display()}"
