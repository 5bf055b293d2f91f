"""Every write to a campaign: creation, edits, pictures, news and the one life-cycle function."""

import datetime
import logging
from dataclasses import asdict, dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from trousse.accounts.models import Cooperative
from trousse.accounts.selectors import actor_scope
from trousse.exceptions import ApplicationError, ConflictError

from . import selectors
from .cache import public_cache_bump_on_commit
from .images import process_image_upload
from .markdown import normalise_newlines, render_markdown
from .models import (
    ALLOWED_TRANSITIONS,
    EDITABLE_FIELDS,
    EDITABLE_STATUSES,
    GOAL_CEILING_CENTS,
    MAX_CAMPAIGN_DAYS,
    MINIMUM_DONATION_CENTS,
    PUBLIC_STATUSES,
    REFUNDING_STATUSES,
    REVISED_STATUSES,
    BudgetCategory,
    BudgetLine,
    Campaign,
    CampaignImage,
    CampaignRevision,
    CampaignTransition,
    CampaignUpdate,
    RevisionState,
    SchoolLevel,
    Status,
    Theme,
)

logger = logging.getLogger(__name__)

MAX_IMAGES_PER_CAMPAIGN = 12
MAX_BUDGET_LINES = 50
MAX_PUPILS = 2000
REFUND_ALL_TASK = "trousse.payments.tasks.campaign_refund_all"
# Receipts wait for success (all-or-nothing: below the minimum every donor is refunded).
RECEIPTS_ISSUE_TASK = "trousse.payments.receipt_tasks.tax_receipts_issue_for_campaign"

@dataclass(frozen=True)
class BudgetLineData:
    label: str
    category: str
    amount_cents: int


# --- Who may make which move (ALLOWED_TRANSITIONS says from which state). ---
# The system (actor=None: scheduler, payments, books) and the federation may make any allowed move.
TEACHER = "teacher"
REVIEWER = "reviewer"  # the animator of the campaign's AD
AD_STAFF = "ad_staff"  # animator or treasurer of the campaign's AD
TRANSITION_ROLES: dict[tuple[str, str], frozenset[str]] = {
    (Status.DRAFT, Status.SUBMITTED): frozenset({TEACHER}),
    (Status.DRAFT, Status.CANCELLED): frozenset({TEACHER}),
    (Status.SUBMITTED, Status.APPROVED): frozenset({REVIEWER}),
    (Status.SUBMITTED, Status.DRAFT): frozenset({REVIEWER}),
    (Status.SUBMITTED, Status.REJECTED): frozenset({REVIEWER}),
    (Status.SUBMITTED, Status.CANCELLED): frozenset({TEACHER}),
    (Status.APPROVED, Status.LIVE): frozenset(),
    (Status.APPROVED, Status.CANCELLED): frozenset({TEACHER, REVIEWER}),
    (Status.LIVE, Status.SUCCEEDED): frozenset(),
    (Status.LIVE, Status.FAILED): frozenset(),
    (Status.LIVE, Status.CANCELLED): frozenset({TEACHER, REVIEWER}),
    (Status.SUCCEEDED, Status.FUNDED): frozenset({AD_STAFF}),
    (Status.FUNDED, Status.CLOSED): frozenset({TEACHER, AD_STAFF}),
}


def _forbidden(message: str) -> ApplicationError:
    return ApplicationError(message, status_code=403)


def _actor_holds(actor, campaign: Campaign, roles: frozenset[str]) -> bool:
    if actor is None:
        return True
    scope = actor_scope(actor)
    if scope.is_federation_admin:
        return True
    if TEACHER in roles and selectors.is_campaign_teacher(actor, campaign):
        return True
    if REVIEWER in roles and selectors.is_campaign_reviewer(actor, campaign):
        return True
    return AD_STAFF in roles and selectors.is_ad_staff(actor, campaign)


def _lock(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().select_related("cooperative").get(pk=campaign.pk)


def _sync(target: Campaign, source: Campaign) -> None:
    """Copy what a service wrote onto the caller's instance, so it never holds a stale status."""
    for field in Campaign._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))


# --- Validation: each rule of DESIGN.md, with the field at fault. ---


def _check_fields(values: dict) -> dict[str, str]:
    errors: dict[str, str] = {}
    title = values.get("title", "")
    if not title or len(title) > 120:
        errors["title"] = _("Le titre est obligatoire (120 caractères au plus).")
    summary = values.get("summary", "")
    if not summary or len(summary) > 300:
        errors["summary"] = _("Le résumé est obligatoire (300 caractères au plus).")
    if not values.get("description", ""):
        errors["description"] = _("Décrivez le projet.")
    elif len(values["description"]) > 20_000:
        errors["description"] = _("La description est trop longue (20 000 caractères au plus).")
    if values.get("theme") not in Theme.values:
        errors["theme"] = _("Choisissez un thème de la liste.")
    if values.get("school_level") not in SchoolLevel.values:
        errors["school_level"] = _("Choisissez un niveau de la liste.")
    pupils = values.get("pupils_count")
    if not isinstance(pupils, int) or isinstance(pupils, bool) or not 1 <= pupils <= MAX_PUPILS:
        errors["pupils_count"] = _("Indiquez le nombre d'élèves (entre 1 et %(max)s).") % {"max": MAX_PUPILS}
    for name in ("minimum_goal_cents", "optimum_goal_cents", "co_funding_cents"):
        amount = values.get(name)
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            errors[name] = _("Indiquez un montant en euros.")
    if len(values.get("co_funding_description", "") or "") > 300:
        errors["co_funding_description"] = _("300 caractères au plus.")
    for name in ("start_date", "deadline"):
        if not isinstance(values.get(name), datetime.date):
            errors[name] = _("Indiquez une date.")
    return errors


def _check_budget(lines: list[BudgetLineData]) -> dict[str, str]:
    if not lines:
        return {"budget_lines": _("Le budget compte au moins une ligne.")}
    if len(lines) > MAX_BUDGET_LINES:
        return {"budget_lines": _("Le budget compte au plus %(max)s lignes.") % {"max": MAX_BUDGET_LINES}}
    for number, line in enumerate(lines, start=1):
        if not line.label.strip() or len(line.label) > 200:
            return {"budget_lines": _("Ligne %(n)s du budget : le libellé est obligatoire (200 caractères au plus).") % {"n": number}}
        if line.category not in BudgetCategory.values:
            return {"budget_lines": _("Ligne %(n)s du budget : choisissez une catégorie de la liste.") % {"n": number}}
        if not isinstance(line.amount_cents, int) or isinstance(line.amount_cents, bool) or line.amount_cents <= 0:
            return {"budget_lines": _("Ligne %(n)s du budget : le montant doit être positif.") % {"n": number}}
    return {}


def _check_rules(values: dict, *, budget_total_cents: int, goal_exception: bool) -> dict[str, str]:
    """The goals and dates rules of DESIGN.md, on values that passed _check_fields."""
    from trousse.money import format_euros

    errors: dict[str, str] = {}
    minimum, optimum, co_funding = values["minimum_goal_cents"], values["optimum_goal_cents"], values["co_funding_cents"]
    if minimum < MINIMUM_DONATION_CENTS:
        errors["minimum_goal_cents"] = _("L'objectif minimum est d'au moins %(amount)s.") % {"amount": format_euros(MINIMUM_DONATION_CENTS)}
    elif minimum > budget_total_cents - co_funding:
        errors["minimum_goal_cents"] = _(
            "L'objectif minimum (%(minimum)s) ne peut dépasser le budget (%(budget)s) moins les cofinancements (%(co_funding)s)."
        ) % {"minimum": format_euros(minimum), "budget": format_euros(budget_total_cents), "co_funding": format_euros(co_funding)}
    if optimum < minimum:
        errors["optimum_goal_cents"] = _("L'objectif optimum ne peut être inférieur à l'objectif minimum.")
    elif optimum > 2 * minimum:
        errors["optimum_goal_cents"] = _("L'objectif optimum ne peut dépasser le double de l'objectif minimum (%(max)s).") % {
            "max": format_euros(2 * minimum)
        }
    if max(minimum, optimum) > GOAL_CEILING_CENTS and not goal_exception:
        field = "optimum_goal_cents" if optimum > GOAL_CEILING_CENTS and "optimum_goal_cents" not in errors else "minimum_goal_cents"
        errors.setdefault(
            field,
            _("Un objectif au-delà de %(ceiling)s demande une dérogation de votre AD : contactez votre animateur·rice.")
            % {"ceiling": format_euros(GOAL_CEILING_CENTS)},
        )
    start, deadline = values["start_date"], values["deadline"]
    if deadline <= start:
        errors["deadline"] = _("La fin de la collecte doit suivre son début.")
    elif (deadline - start).days > MAX_CAMPAIGN_DAYS:
        errors["deadline"] = _("Une collecte dure au plus %(days)s jours.") % {"days": MAX_CAMPAIGN_DAYS}
    return errors


def _check_edit(campaign: Campaign, values: dict, lines: list[BudgetLineData]) -> dict[str, str]:
    """The rules an edit must follow, whether it is written at once or proposed in a revision
    (checked again when the animator approves it: the campaign may have gone live meanwhile)."""
    errors = _check_fields(values)
    errors.update(_check_budget(lines))
    if not errors:
        errors = _check_rules(values, budget_total_cents=sum(line.amount_cents for line in lines), goal_exception=campaign.goal_exception)
        if values["start_date"] != campaign.start_date:
            if campaign.status == Status.LIVE:
                errors.setdefault("start_date", _("La collecte a commencé : sa date de début ne change plus."))
            elif values["start_date"] < timezone.localdate():
                errors.setdefault("start_date", _("La collecte ne peut commencer dans le passé."))
        if campaign.status in REVISED_STATUSES and values["deadline"] < timezone.localdate():
            # Said to the teacher now, not to the animator at approval (campaign_transition says the same before review).
            errors.setdefault("deadline", _("La date de fin de la collecte est passée : choisissez-en une nouvelle."))
        if campaign.status == Status.LIVE:
            errors.update({name: message for name, message in _collected_money_errors(campaign, values, lines).items() if name not in errors})
    return errors


def _collected_money_errors(campaign: Campaign, values: dict, lines: list[BudgetLineData]) -> dict[str, str]:
    """What a collection under way forbids: donors gave under its minimum goal (all or nothing),
    and what they gave must stay within the optimum goal and the budget left to fund."""
    from trousse.money import format_euros

    errors = {}
    raised = {"raised": format_euros(campaign.raised_cents)}
    if values["minimum_goal_cents"] != campaign.minimum_goal_cents:
        errors["minimum_goal_cents"] = _("La collecte a commencé : son objectif minimum ne change plus, les donateurs ont donné pour celui-ci.")
    if values["optimum_goal_cents"] < campaign.raised_cents:
        errors["optimum_goal_cents"] = _("L'objectif optimum ne peut être inférieur à ce qui est déjà collecté (%(raised)s).") % raised
    if sum(line.amount_cents for line in lines) - values["co_funding_cents"] < campaign.raised_cents:
        errors["budget_lines"] = _("Le budget, cofinancements déduits, ne peut être inférieur à ce qui est déjà collecté (%(raised)s).") % raised
    return errors


def _raise_if(errors: dict[str, str]) -> None:
    if errors:
        message = next(iter(errors.values())) if len(errors) == 1 else _("Le projet contient des erreurs : corrigez les champs signalés.")
        raise ApplicationError(message, field_errors=errors)


def _values_of(campaign: Campaign) -> dict:
    return {name: getattr(campaign, name) for name in EDITABLE_FIELDS}


def _lines_of(campaign: Campaign) -> list[BudgetLineData]:
    return [BudgetLineData(label=line.label, category=line.category, amount_cents=line.amount_cents) for line in campaign.budget_lines.all()]


def _clean_text(values: dict) -> dict:
    # Browsers send a textarea's line breaks as \r\n: stored as \n, an unchanged description
    # stays unchanged (it would otherwise show in the animator's diff as a change).
    cleaned = {name: normalise_newlines(value).strip() if isinstance(value, str) else value for name, value in values.items()}
    if "co_funding_description" in cleaned and cleaned["co_funding_description"] is None:
        cleaned["co_funding_description"] = ""
    return cleaned


def campaign_check_rules(*, campaign: Campaign) -> None:
    """Raise ApplicationError (with field_errors) if the saved campaign breaks a rule; used before review."""
    values = _values_of(campaign)
    errors = _check_fields(values) or _check_rules(values, budget_total_cents=sum(line.amount_cents for line in _lines_of(campaign)), goal_exception=campaign.goal_exception)
    errors.update(_check_budget(_lines_of(campaign)))
    _raise_if(errors)


# Words the URLs use next to a slug (/campaigns/create/, /projets/nouveau/...): never a campaign's slug.
RESERVED_SLUGS = frozenset({"create", "new", "nouveau", "mine", "mes-projets", "recherche", "search"})


def _unique_slug(title: str, *, exclude_pk: int | None = None) -> str:
    base = (slugify(title) or "projet")[:120].strip("-") or "projet"
    if base in RESERVED_SLUGS:
        base = f"projet-{base}"
    taken = set(Campaign.objects.filter(slug__startswith=base).exclude(pk=exclude_pk).values_list("slug", flat=True))
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _write_budget(campaign: Campaign, lines: list[BudgetLineData]) -> None:
    campaign.budget_lines.all().delete()
    BudgetLine.objects.bulk_create(
        BudgetLine(campaign=campaign, label=line.label.strip(), category=line.category, amount_cents=line.amount_cents, position=position)
        for position, line in enumerate(lines)
    )


# --- Creating and editing ---


@transaction.atomic
def campaign_create(
    *,
    actor,
    cooperative: Cooperative,
    title: str,
    summary: str,
    description: str,
    theme: str,
    school_level: str,
    pupils_count: int,
    minimum_goal_cents: int,
    optimum_goal_cents: int,
    start_date: datetime.date,
    deadline: datetime.date,
    budget_lines: list[BudgetLineData],
    co_funding_cents: int = 0,
    co_funding_description: str = "",
) -> Campaign:
    """A draft written by a teacher of the cooperative, who becomes its teacher."""
    scope = actor_scope(actor)
    if not (scope.is_teacher_of(cooperative.pk) or scope.is_federation_admin):
        raise _forbidden(_("Seul·e un·e enseignant·e de la coopérative peut y créer un projet."))
    values = _clean_text(
        {
            "title": title,
            "summary": summary,
            "description": description,
            "theme": theme,
            "school_level": school_level,
            "pupils_count": pupils_count,
            "minimum_goal_cents": minimum_goal_cents,
            "optimum_goal_cents": optimum_goal_cents,
            "co_funding_cents": co_funding_cents,
            "co_funding_description": co_funding_description or "",
            "start_date": start_date,
            "deadline": deadline,
        }
    )
    budget_lines = list(budget_lines or [])
    errors = _check_fields(values)
    errors.update(_check_budget(budget_lines))
    if not errors:
        errors = _check_rules(values, budget_total_cents=sum(line.amount_cents for line in budget_lines), goal_exception=False)
        if values["start_date"] < timezone.localdate():
            errors.setdefault("start_date", _("La collecte ne peut commencer dans le passé."))
    _raise_if(errors)
    for attempt in range(3):
        slug = _unique_slug(values["title"])
        if attempt:
            slug = f"{slug}-{timezone.now().strftime('%f')}"
        try:
            # A savepoint: a concurrent creation with the same title takes the slug first.
            with transaction.atomic():
                campaign = Campaign.objects.create(
                    cooperative=cooperative, teacher=actor, slug=slug, description_html=render_markdown(values["description"]), **values
                )
            break
        except IntegrityError:
            if attempt == 2:
                raise
    _write_budget(campaign, budget_lines)
    return campaign


@transaction.atomic
def campaign_update(
    *, actor, campaign: Campaign, budget_lines: list[BudgetLineData] | None = None, edited_from: str | None = None, **fields
) -> Campaign:
    """Edit a campaign. Before approval the change is written at once. After it (approved
    or live), the change goes into the campaign's open revision for the animator, and the
    campaign stays as approved: public, collecting against the approved text and goals.

    The teacher edits their pending proposal, if any, not the public version.
    Nothing changed, nothing happens.

    `edited_from` (selectors.campaign_edit_digest of the version the editor showed): if that
    version has been changed since (another tab, the API), the edit is refused (ConflictError)
    rather than silently undoing the newer change. None: no check (API clients that do not send it).
    """
    locked = _lock(campaign)
    if not selectors.is_campaign_teacher(actor, locked):
        raise _forbidden(_("Seul·e l'enseignant·e du projet peut le modifier."))
    if locked.status not in EDITABLE_STATUSES:
        raise ConflictError(_("Ce projet ne peut plus être modifié (état : %(status)s).") % {"status": locked.get_status_display()})
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise ApplicationError(_("Champs inconnus ou non modifiables : %(fields)s.") % {"fields": ", ".join(unknown)}, field_errors={name: _("Ce champ ne se modifie pas ici.") for name in unknown})
    revision = _open_revision(locked) if locked.status in REVISED_STATUSES else None
    # Compared as the edit will be saved (line breaks normalised): saving the form untouched is no change.
    current = _clean_text(_revision_values(revision) if revision else _values_of(locked))
    current_lines = _revision_lines(revision) if revision else _lines_of(locked)
    values = {**current, **_clean_text(fields)}
    new_lines = [BudgetLineData(label=line.label.strip(), category=line.category, amount_cents=line.amount_cents) for line in budget_lines] if budget_lines is not None else current_lines
    # Checked under the row lock: of two saves from one version, the second waits for the first,
    # then meets its version here. A save that would leave that version as it is loses nothing.
    if edited_from is not None and (values != current or new_lines != current_lines):
        if edited_from != selectors.campaign_edit_digest(current, [asdict(line) for line in current_lines]):
            message = _(
                "Ce projet a été modifié entre-temps (dans un autre onglet ?). Vos changements ne sont pas enregistrés : "
                "relisez la version actuelle et reportez-les."
            )
            raise ConflictError(message, field_errors={"edited_from": message})
    # A proposal sent back with remarks is sent again by saving it, changed or not (the remark
    # may have been about a picture, or the teacher may disagree): it must never stay stuck.
    resubmitted = revision is not None and revision.state == RevisionState.CHANGES_REQUESTED
    if values == current and new_lines == current_lines and not resubmitted:
        _sync(campaign, locked)
        return locked
    _raise_if(_check_edit(locked, values, new_lines))
    if locked.status in REVISED_STATUSES:
        _revision_propose(campaign=locked, revision=revision, actor=actor, values=values, lines=new_lines)
        _sync(campaign, locked)
        return locked
    changed = [name for name in EDITABLE_FIELDS if values[name] != current[name]]
    for name in changed:
        setattr(locked, name, values[name])
    if "description" in changed:
        locked.description_html = render_markdown(locked.description)
    locked.save()
    if new_lines != current_lines:
        _write_budget(locked, new_lines)
    _sync(campaign, locked)
    return locked


@transaction.atomic
def campaign_goal_exception_set(*, actor, campaign: Campaign, granted: bool) -> Campaign:
    """The AD (animator or treasurer) allows, or withdraws, goals above 5 000 €."""
    locked = _lock(campaign)
    if not selectors.can_set_goal_exception(actor, locked):
        raise _forbidden(_("Seule l'AD du projet accorde une dérogation d'objectif."))
    if not granted and locked.status in (Status.APPROVED, Status.LIVE) and locked.optimum_goal_cents > GOAL_CEILING_CENTS:
        raise ConflictError(_("Ce projet a été validé avec un objectif au-delà de 5 000 € : la dérogation ne peut plus être retirée."))
    locked.goal_exception = granted
    locked.save(update_fields=["goal_exception", "updated_at"])
    _sync(campaign, locked)
    return locked


# --- Pictures ---


def campaign_image_add(*, actor, campaign: Campaign, upload, alt_text: str, consent_confirmed: bool) -> CampaignImage:
    """Add a picture, re-encoded without its metadata. On an approved or live campaign it joins
    the campaign's revision and shows only once the animator approves it.

    The picture is decoded before the campaign row is locked: the slow part holds no lock.
    """
    if not selectors.is_campaign_teacher(actor, campaign):
        raise _forbidden(_("Seul·e l'enseignant·e du projet peut y ajouter des images."))
    alt_text = (alt_text or "").strip()
    errors = {}
    if not alt_text or len(alt_text) > 200:
        errors["alt_text"] = _("Décrivez l'image en quelques mots (200 caractères au plus) pour les personnes qui ne la voient pas.")
    if consent_confirmed is not True:
        errors["consent_confirmed"] = _("Confirmez que les parents des élèves reconnaissables ont donné leur accord, ou qu'aucun élève n'est reconnaissable.")
    _raise_if(errors)
    processed = process_image_upload(upload)
    return _campaign_image_save(actor=actor, campaign=campaign, processed=processed, alt_text=alt_text)


@transaction.atomic
def _campaign_image_save(*, actor, campaign: Campaign, processed, alt_text: str) -> CampaignImage:
    locked = _lock(campaign)
    if locked.status not in EDITABLE_STATUSES:
        raise ConflictError(_("Ce projet ne peut plus être modifié (état : %(status)s).") % {"status": locked.get_status_display()})
    count = locked.images.count()
    if count >= MAX_IMAGES_PER_CAMPAIGN:
        raise ApplicationError(_("Un projet compte au plus %(max)s images.") % {"max": MAX_IMAGES_PER_CAMPAIGN}, field_errors={"upload": _("Trop d'images.")})
    revised = locked.status in REVISED_STATUSES
    image = CampaignImage(campaign=locked, alt_text=alt_text, consent_confirmed=True, position=count, published=not revised)
    image.large.save(processed.large.name, processed.large, save=False)
    image.thumbnail.save(processed.thumbnail.name, processed.thumbnail, save=False)
    image.width, image.height = processed.width, processed.height
    image.save()
    if revised:
        # The picture is part of the change the animator reviews: a new version of the open revision, or a new one.
        revision = _open_revision(locked)
        values = _revision_values(revision) if revision else _clean_text(_values_of(locked))
        lines = _revision_lines(revision) if revision else _lines_of(locked)
        _revision_propose(campaign=locked, revision=revision, actor=actor, values=values, lines=lines)
    _sync(campaign, locked)
    return image


@transaction.atomic
def campaign_image_remove(*, actor, image: CampaignImage) -> None:
    """Remove a picture. No new review: taking a picture down (a parent withdrew consent) must not stop a collection."""
    locked = _lock(image.campaign)
    if not selectors.is_campaign_teacher(actor, locked):
        raise _forbidden(_("Seul·e l'enseignant·e du projet peut en retirer des images."))
    if locked.status not in EDITABLE_STATUSES:
        raise ConflictError(_("Ce projet ne peut plus être modifié (état : %(status)s).") % {"status": locked.get_status_display()})
    _pictures_delete(CampaignImage.objects.filter(pk=image.pk))
    if not image.published:
        # A picture of the open revision: what the animator would approve changed, so it is a new
        # version, sent to the animator again if it had been sent back (as any other edit).
        revision = _open_revision(locked)
        if revision is not None:
            _revision_propose(campaign=locked, revision=revision, actor=actor, values=_revision_values(revision), lines=_revision_lines(revision))
    public_cache_bump_on_commit(locked.pk)


def _pictures_delete(images) -> None:
    """Delete the pictures' rows now and their files once the rows are gone for good (after commit)."""
    files = [file for image in images for file in (image.large, image.thumbnail) if file]
    images.delete()

    def delete_files() -> None:
        for file in files:
            file.storage.delete(file.name)

    # Robust: a storage error after the commit is logged, never a 500 for a change already
    # made, nor a stop of the scheduler's run that dropped a revision.
    transaction.on_commit(delete_files, robust=True)


# --- News ---


@transaction.atomic
def campaign_news_post(*, actor, campaign: Campaign, title: str, body: str) -> CampaignUpdate:
    if not selectors.is_campaign_teacher(actor, campaign):
        raise _forbidden(_("Seul·e l'enseignant·e du projet peut publier des nouvelles."))
    if campaign.status not in PUBLIC_STATUSES:
        raise ConflictError(_("Les nouvelles se publient une fois la collecte ouverte."))
    title, body = (title or "").strip(), (body or "").strip()
    errors = {}
    if not title or len(title) > 150:
        errors["title"] = _("Le titre est obligatoire (150 caractères au plus).")
    if not body or len(body) > 20_000:
        errors["body"] = _("Le texte est obligatoire (20 000 caractères au plus).")
    _raise_if(errors)
    update = CampaignUpdate.objects.create(campaign=campaign, author=actor, title=title, body=body, body_html=render_markdown(body))
    public_cache_bump_on_commit(campaign.pk)
    return update


# --- The life cycle ---


def _as_json(values: dict) -> dict:
    return {name: value.isoformat() if isinstance(value, datetime.date) else value for name, value in values.items()}


def campaign_snapshot(campaign: Campaign) -> dict:
    """The public content as JSON: written at approval, the animator's diff is against it."""
    snapshot = _as_json(_values_of(campaign))
    snapshot["budget_lines"] = [asdict(line) for line in _lines_of(campaign)]
    snapshot["images"] = [{"id": image.pk, "alt_text": image.alt_text} for image in campaign.images.all() if image.published]
    return snapshot


# --- Revisions: a change to an approved or live campaign waits for the animator ---
# Every function here runs under the campaign's row lock (_lock): two edits, or an edit
# and a decision, are serialised, and each reads the revision the other left.


def _open_revision(campaign: Campaign) -> CampaignRevision | None:
    return selectors.campaign_open_revision(campaign=campaign)


def _revision_values(revision: CampaignRevision) -> dict:
    return selectors.revision_values(revision)


def _revision_lines(revision: CampaignRevision) -> list[BudgetLineData]:
    return [BudgetLineData(**line) for line in revision.budget_lines]


def campaign_revision_snapshot(*, campaign: Campaign, revision: CampaignRevision) -> dict:
    """The campaign as it would be public once its revision is approved, shaped as campaign_snapshot."""
    snapshot = dict(revision.values)
    snapshot["budget_lines"] = list(revision.budget_lines)
    # Published and pending pictures alike: the revision publishes its own.
    snapshot["images"] = [{"id": image.pk, "alt_text": image.alt_text} for image in campaign.images.all()]
    return snapshot


def _revision_propose(*, campaign: Campaign, revision: CampaignRevision | None, actor, values: dict, lines: list[BudgetLineData]) -> None:
    """Write the teacher's proposal into the campaign's open revision (created if none), as a new version."""
    now = timezone.now()
    if revision is None:
        revision = CampaignRevision(campaign=campaign, version=0, submitted_at=now)
    # The animator hears of a new proposal, or of one sent back after their remarks; not of each further save.
    sent_to_review = revision.pk is None or revision.state == RevisionState.CHANGES_REQUESTED
    revision.author = actor
    revision.values = _as_json(values)
    revision.budget_lines = [asdict(line) for line in lines]
    revision.version += 1
    if revision.state == RevisionState.CHANGES_REQUESTED:
        revision.state, revision.submitted_at = RevisionState.PENDING, now
    revision.save()
    if _revision_withdraw_if_empty(campaign=campaign, revision=revision):
        return
    if sent_to_review:
        _notify_revision(revision, RevisionState.PENDING)


def _revision_withdraw_if_empty(*, campaign: Campaign, revision: CampaignRevision) -> bool:
    """A proposal edited back to the public version, without a new picture, is no change: nothing to review."""
    if _revision_values(revision) != _clean_text(_values_of(campaign)) or _revision_lines(revision) != _lines_of(campaign):
        return False
    if campaign.images.filter(published=False).exists():
        return False
    _revision_close(campaign=campaign, revision=revision, state=RevisionState.DISCARDED)
    return True


def _revision_close(*, campaign: Campaign, revision: CampaignRevision, state: str, dropped_by: CampaignTransition | None = None) -> None:
    """Close a revision that will not be applied; its pictures, never public, go with it."""
    revision.state, revision.closed_at, revision.dropped_by = state, timezone.now(), dropped_by
    revision.save(update_fields=["state", "closed_at", "dropped_by", "updated_at"])
    _pictures_delete(campaign.images.filter(published=False))


def _revision_apply(*, campaign: Campaign, revision: CampaignRevision) -> None:
    """Write the approved proposal onto the campaign: fields, budget, pictures, the new approved snapshot."""
    values, lines = _revision_values(revision), _revision_lines(revision)
    # The rules again: the campaign may have gone live, or lost its goal exception, since the proposal.
    errors = _check_edit(campaign, values, lines)
    if not errors and values["deadline"] < timezone.localdate():
        errors["deadline"] = _("La date de fin de la collecte est passée : choisissez-en une nouvelle.")
    _raise_if(errors)
    for name in EDITABLE_FIELDS:
        setattr(campaign, name, values[name])
    campaign.description_html = render_markdown(campaign.description)
    _write_budget(campaign, lines)
    campaign.images.filter(published=False).update(published=True)
    campaign.approved_snapshot = campaign_snapshot(campaign)
    campaign.save()
    public_cache_bump_on_commit(campaign.pk)


# The animator's decisions on a revision; each leaves the campaign's status as it is.
REVISION_DECISIONS = (RevisionState.APPROVED, RevisionState.CHANGES_REQUESTED, RevisionState.REJECTED)


@transaction.atomic
def campaign_revision_decide(*, actor, campaign: Campaign, version: int | None, to_state: str, message: str = "") -> CampaignRevision:
    """Approve (apply), send back (changes requested) or reject (discard) the open revision of an
    approved or live campaign. The campaign stays public whatever the decision.

    `version` is the one the animator read: a proposal the teacher changed since is refused
    (409), never applied unseen.
    """
    to_state = RevisionState(to_state)
    if to_state not in REVISION_DECISIONS:
        raise ValueError(to_state)
    locked = _lock(campaign)
    if not selectors.is_campaign_reviewer(actor, locked):
        raise _forbidden(_("Seul·e l'animateur·rice de l'AD du projet peut le relire."))
    revision = _open_revision(locked) if locked.status in REVISED_STATUSES else None
    if revision is None or revision.state != RevisionState.PENDING:
        raise ConflictError(_("Ce projet est « %(status)s » et aucune modification n'y attend de relecture.") % {"status": locked.get_status_display()})
    if version is None:
        raise ApplicationError(
            _("Indiquez la version de la modification que vous avez relue."), field_errors={"revision_version": _("Version obligatoire.")}
        )
    if version != revision.version:
        raise ConflictError(_("L'enseignant·e a changé sa modification depuis que vous l'avez ouverte : relisez-la avant de décider."))
    if to_state == RevisionState.REJECTED:
        _revision_close(campaign=locked, revision=revision, state=to_state)
    else:
        if to_state == RevisionState.APPROVED:
            _revision_apply(campaign=locked, revision=revision)
            revision.closed_at = timezone.now()
        # Sent back (changes requested), it stays open: the teacher's next save sends it to review again.
        revision.state = to_state
        revision.save(update_fields=["state", "closed_at", "updated_at"])
    _notify_revision(revision, to_state, message)
    _sync(campaign, locked)
    return revision


def _notify_revision(revision: CampaignRevision, state: str, message: str = "") -> None:
    from .tasks import campaign_notify_revision

    # The state and the message travel with the job: the revision may have moved on when it runs.
    campaign_notify_revision.delay_on_commit(revision.pk, str(state), message)


def _dispatch_by_name(task_name: str, *args) -> None:
    """Run another app's task without importing it (campaigns must not import payments)."""
    from trousse.tasks_dispatch import dispatch_by_name

    dispatch_by_name(task_name, *args)


@transaction.atomic
def campaign_transition(*, campaign: Campaign, to_status: str, actor=None, comment: str = "") -> Campaign:
    """THE one function that moves a campaign through its life (DESIGN.md).

    Locks the row, so two concurrent moves are serialised and the second sees the
    first's result (and is refused if the move no longer applies); checks the
    move and the actor's right to make it; writes the history row; schedules
    e-mails, refunds and cache invalidation for after the commit.
    """
    locked = _lock(campaign)
    from_status = locked.status
    to_status = Status(to_status)
    if to_status not in ALLOWED_TRANSITIONS[from_status]:
        raise ConflictError(
            _("Ce projet est « %(current)s » : il ne peut passer à « %(target)s ».") % {"current": locked.get_status_display(), "target": to_status.label}
        )
    if not _actor_holds(actor, locked, TRANSITION_ROLES[(from_status, to_status)]):
        raise _forbidden(_("Vous n'avez pas le droit de faire passer ce projet à « %(target)s ».") % {"target": to_status.label})
    now = timezone.now()
    update_fields = ["status", "updated_at"]
    if to_status in (Status.SUBMITTED, Status.APPROVED):
        campaign_check_rules(campaign=locked)
        if locked.deadline < timezone.localdate():
            raise ApplicationError(_("La date de fin de la collecte est passée : choisissez-en une nouvelle."), field_errors={"deadline": _("Date passée.")})
    if to_status == Status.SUBMITTED:
        locked.submitted_at = now
        update_fields.append("submitted_at")
    elif to_status == Status.APPROVED:
        locked.approved_at = now
        locked.approved_snapshot = campaign_snapshot(locked)
        update_fields += ["approved_at", "approved_snapshot"]
    elif to_status in (Status.SUCCEEDED, *REFUNDING_STATUSES):
        locked.ended_at = now
        update_fields.append("ended_at")
    locked.status = to_status
    locked.save(update_fields=update_fields)
    transition = CampaignTransition.objects.create(campaign=locked, actor=actor, from_status=from_status, to_status=to_status, comment=comment or "")
    if from_status in REVISED_STATUSES and to_status not in REVISED_STATUSES:
        # A change waiting for review has no campaign left to change: out of the queue, with its pictures.
        # Tied to the move, so the audit trail tells the teacher why their change went.
        revision = _open_revision(locked)
        if revision is not None:
            _revision_close(campaign=locked, revision=revision, state=RevisionState.DISCARDED, dropped_by=transition)

    from .tasks import campaign_notify_transition

    campaign_notify_transition.delay_on_commit(transition.pk)
    if to_status in REFUNDING_STATUSES:
        campaign_id = locked.pk
        transaction.on_commit(lambda: _dispatch_by_name(REFUND_ALL_TASK, campaign_id))
    elif to_status == Status.SUCCEEDED:
        campaign_id = locked.pk
        transaction.on_commit(lambda: _dispatch_by_name(RECEIPTS_ISSUE_TASK, campaign_id))
    if from_status in PUBLIC_STATUSES or to_status in PUBLIC_STATUSES:
        public_cache_bump_on_commit(locked.pk)
    _sync(campaign, locked)
    # The history row, for callers that attach more to it (moderation's reviews).
    locked.last_transition = campaign.last_transition = transition
    return locked


def campaign_submit(*, actor, campaign: Campaign) -> Campaign:
    return campaign_transition(campaign=campaign, to_status=Status.SUBMITTED, actor=actor)


def campaign_cancel(*, actor, campaign: Campaign, reason: str) -> Campaign:
    """Cancel before success; donations already made are refunded after commit."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Indiquez la raison de l'annulation : les donateurs la liront."), field_errors={"reason": _("Raison obligatoire.")})
    return campaign_transition(campaign=campaign, to_status=Status.CANCELLED, actor=actor, comment=reason)


@transaction.atomic
def campaign_end(*, campaign: Campaign) -> Campaign:
    """Close a live collection: succeeded at or above the minimum goal, failed below it.

    Idempotent: the scheduler at the deadline and a donation reaching the
    optimum may both call it; whoever comes second finds it ended and does nothing.
    """
    locked = _lock(campaign)
    if locked.status != Status.LIVE:
        _sync(campaign, locked)
        return locked
    succeeded = locked.raised_cents >= locked.minimum_goal_cents
    if succeeded and locked.raised_cents >= locked.optimum_goal_cents:
        comment = _("Objectif optimum atteint.")
    elif succeeded:
        comment = _("Collecte terminée : objectif minimum atteint.")
    else:
        comment = _("Collecte terminée sans atteindre l'objectif minimum : les donateurs sont remboursés.")
    ended = campaign_transition(campaign=locked, to_status=Status.SUCCEEDED if succeeded else Status.FAILED, comment=comment)
    _sync(campaign, ended)
    return ended


def campaigns_advance_by_date(*, today: datetime.date | None = None) -> dict[str, int]:
    """The scheduler: approved campaigns go live on their start date, live ones end after their deadline.

    Each campaign moves in its own transaction: one failure does not hold back the others,
    and a run that overlaps another only finds nothing left to do.
    """
    today = today or timezone.localdate()
    counts = {"started": 0, "ended": 0}
    for pk in Campaign.objects.filter(status=Status.APPROVED, start_date__lte=today).order_by("pk").values_list("pk", flat=True):
        try:
            campaign_transition(campaign=Campaign(pk=pk), to_status=Status.LIVE, comment=_("Début de la collecte."))
            counts["started"] += 1
        except ApplicationError as error:
            logger.info("Campaign %s not started: %s", pk, error.message)
    # The deadline is the last day of the collection: it ends the day after.
    for pk in Campaign.objects.filter(status=Status.LIVE, deadline__lt=today).order_by("pk").values_list("pk", flat=True):
        ended = campaign_end(campaign=Campaign(pk=pk))
        if ended.status != Status.LIVE:
            counts["ended"] += 1
    return counts
