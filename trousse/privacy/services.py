"""Donors' rights (access, erasure), retention purges and the staff access log.

The rule of every erasure here: personal data goes, the money's trail stays.
Amounts, dates, statuses and ledger rows are accounting records (10 years,
article L123-22 of the code de commerce); an issued tax receipt keeps the donor
identity frozen on it for the period the tax office may check it (6 years,
article L102 B of the livre des procédures fiscales) and is only anonymised by
the retention job after 10 years, with every other accounting record.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from trousse.accounts.selectors import actor_scope
from trousse.campaigns.cache import public_cache_bump_on_commit
from trousse.campaigns.models import Campaign, CampaignImage, Status
from trousse.exceptions import ApplicationError, ConflictError
from trousse.payments.models import Donation, DonationStatus, StripeEvent, TaxReceipt

from .models import AccessPurpose, DonorDataRequest, ErasureRecord, ErasureSource, PersonalDataAccess, PictureRetention

logger = logging.getLogger(__name__)

# Stored in the database, not shown through gettext: it is data, like a name.
ANONYMISED_NAME = "Donateur anonymisé"
# RFC 2606 reserves .invalid: nothing sent there can ever reach anyone.
ERASED_EMAIL_DOMAIN = "erased.invalid"
ERASED_EMAIL_SUFFIX = f"@{ERASED_EMAIL_DOMAIN}"

LINK_MAX_AGE = datetime.timedelta(hours=24)
# One link per address per this delay: the request form must not become a way to flood an inbox.
LINK_RESEND_DELAY = datetime.timedelta(minutes=5)
_LINK_SALT = "trousse.privacy.donor-data-link"

# Money may still move on these: erasing now would lose track of whose it is.
IN_FLIGHT_STATUSES = (DonationStatus.PENDING, DonationStatus.PROCESSING)
# Statuses after which a campaign takes no more money: retention counts from then.
ENDED_STATUSES = (Status.SUCCEEDED, Status.FUNDED, Status.CLOSED, Status.FAILED, Status.CANCELLED, Status.REJECTED)
# Pictures of pupils go once the project is over for good (a funded campaign still reports).
PICTURE_PURGE_STATUSES = (Status.CLOSED, Status.FAILED, Status.CANCELLED)

# Keys of Stripe objects that carry who paid (billing details, SEPA mandate acceptance).
_STRIPE_PERSONAL_KEYS = frozenset({"billing_details", "email", "receipt_email", "name", "phone", "address", "shipping", "ip_address", "user_agent", "customer_acceptance"})


# --- settings (read with defaults: the project runs without any of them) ---------------------


def donor_retention_days() -> int:
    # Three years after the campaign ended: long enough to answer a donor or the AD, no longer.
    return int(getattr(settings, "PRIVACY_DONOR_RETENTION_DAYS", 3 * 365))


def receipt_retention_days() -> int:
    # Ten years: the longest of the legal periods (accounting documents, art. L123-22 code de commerce).
    return int(getattr(settings, "PRIVACY_RECEIPT_RETENTION_DAYS", 10 * 365 + 3))


def picture_retention_days() -> int:
    return int(getattr(settings, "PRIVACY_PICTURE_RETENTION_DAYS", 365))


def access_log_retention_days() -> int:
    # The CNIL recommends keeping access logs six months to a year.
    return int(getattr(settings, "PRIVACY_ACCESS_LOG_RETENTION_DAYS", 365))


# --- e-mail identities -----------------------------------------------------------------------


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def email_digest(email: str) -> str:
    """A keyed hash of the address: the same donor's rows stay linked once the address is gone."""
    return salted_hmac("trousse.privacy.email", normalise_email(email), algorithm="sha256").hexdigest()


def erased_email(email: str) -> str:
    return f"erased+{email_digest(email)[:20]}{ERASED_EMAIL_SUFFIX}"


def is_erased_email(email: str) -> bool:
    return normalise_email(email).endswith(ERASED_EMAIL_SUFFIX)


# --- the donor's signed link -----------------------------------------------------------------


class _Signer(signing.TimestampSigner):
    """TimestampSigner whose clock can be set, so that expiry is testable without freezing time."""

    def __init__(self, *, now: datetime.datetime | None = None):
        super().__init__(salt=_LINK_SALT)
        self._now = now

    def timestamp(self):
        if self._now is None:
            return super().timestamp()
        return signing.b62_encode(int(self._now.timestamp()))


def donor_data_token(*, data_request: DonorDataRequest, now: datetime.datetime | None = None) -> str:
    # The link carries a random id, never the address: URLs end up in logs and browser histories.
    return _Signer(now=now).sign(str(data_request.public_id))


def donor_data_request_from_token(token: str, *, now: datetime.datetime | None = None) -> DonorDataRequest:
    """The request a link points to; Http404 when the link is tampered with, unknown or older than 24 h."""
    now = now or timezone.now()
    try:
        public_id = _Signer().unsign(token, max_age=LINK_MAX_AGE)
    except signing.BadSignature as error:  # SignatureExpired is a BadSignature
        raise Http404("bad or expired donor data link") from error
    data_request = DonorDataRequest.objects.filter(public_id=public_id).first()
    # The row's own date is a second clock: a link outlives neither its row nor 24 hours.
    if data_request is None or data_request.created_at + LINK_MAX_AGE < now:
        raise Http404("no such donor data request")
    return data_request


def donor_data_url(*, data_request: DonorDataRequest, now: datetime.datetime | None = None) -> str:
    path = reverse("privacy_donor_data", kwargs={"token": donor_data_token(data_request=data_request, now=now)})
    return settings.SITE_URL.rstrip("/") + path


def donor_data_held(*, email: str) -> bool:
    email = normalise_email(email)
    if not email or is_erased_email(email):
        return False
    return Donation.objects.filter(email__iexact=email).exists() or TaxReceipt.objects.filter(donor_email__iexact=email).exists()


def donor_data_link_request(*, email: str, language: str | None = None) -> None:
    """What the "Mes données" form calls. Always the same outcome for the person asking.

    The check and the e-mail happen in a background job, so that neither the answer
    nor its timing tells whether we hold data for the address.
    """
    email = normalise_email(email)
    try:
        validate_email(email)
    except ValidationError as error:
        raise ApplicationError(_("Saisissez une adresse e-mail valide."), field_errors={"email": _("Saisissez une adresse e-mail valide.")}) from error
    from .tasks import donor_data_link_send as task

    task.delay_on_commit(email, language or translation.get_language() or settings.LANGUAGE_CODE)


def donor_data_link_send(*, email: str, language: str | None = None, now: datetime.datetime | None = None) -> bool:
    """E-mail a 24-hour link to the address if we hold data for it. True when a message left.

    Not atomic on purpose: the request row is committed before the mail leaves (the link
    must work when it arrives), and removed if the mail fails, so that the task's retry
    is not mistaken for a second request and throttled.
    """
    now = now or timezone.now()
    email = normalise_email(email)
    if not donor_data_held(email=email):
        # Nothing to tell, and no mail to a stranger: the form is not a way to spam an address.
        return False
    if DonorDataRequest.objects.filter(email=email, created_at__gt=now - LINK_RESEND_DELAY).exists():
        return False
    data_request = DonorDataRequest.objects.create(email=email, created_at=now)
    url = donor_data_url(data_request=data_request, now=now)
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = _("Vos données personnelles sur La Trousse")
        body = render_to_string("privacy/email/donor_data_link.txt", {"url": url, "hours": int(LINK_MAX_AGE.total_seconds() // 3600), "site_url": settings.SITE_URL})
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
    except Exception:
        data_request.delete()
        raise
    return True


# --- anonymisation ---------------------------------------------------------------------------


def _redact_stripe(value):
    if isinstance(value, dict):
        return {key: (None if key in _STRIPE_PERSONAL_KEYS else _redact_stripe(item)) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact_stripe(item) for item in value]
    return value


def _stripe_events_redact(payment_intent_ids: list[str]) -> int:
    """Stored webhook payloads hold the payer's name and e-mail (SEPA billing details): blank them."""
    if not payment_intent_ids:
        return 0
    events = StripeEvent.objects.filter(Q(payload__data__object__id__in=payment_intent_ids) | Q(payload__data__object__payment_intent__in=payment_intent_ids))
    count = 0
    for event in events.only("id", "payload"):
        redacted = _redact_stripe(event.payload)
        if redacted != event.payload:
            event.payload = redacted
            event.save(update_fields=["payload"])
            count += 1
    return count


def _donations_anonymise(donations: QuerySet[Donation]) -> tuple[int, set[int]]:
    """Blank the personal fields of these donations, grouped by address. Returns (count, campaign ids).

    Amounts, dates, statuses, Stripe ids and the rows themselves stay: they are the accounting trail.
    """
    by_email: dict[str, list[int]] = defaultdict(list)
    campaign_ids: set[int] = set()
    payment_intents: list[str] = []
    for pk, email, campaign_id, intent in donations.values_list("pk", "email", "campaign_id", "stripe_payment_intent_id"):
        by_email[normalise_email(email)].append(pk)
        campaign_ids.add(campaign_id)
        if intent:
            payment_intents.append(intent)
    count = 0
    for email, pks in by_email.items():
        placeholder = email if is_erased_email(email) else erased_email(email)
        count += Donation.objects.filter(pk__in=pks).update(
            first_name=ANONYMISED_NAME,
            last_name="",
            email=placeholder,
            company_name="",
            siret="",
            address_line="",
            postal_code="",
            city="",
            public_message="",
            is_anonymous=True,
            failure_message="",
            updated_at=timezone.now(),
        )
        # The access log names the donor too; its rows stay, pointing at the anonymised donation.
        same_subject = Q(donation_id__in=pks) | (Q(subject_email__iexact=email) if email else Q())
        PersonalDataAccess.objects.filter(same_subject).update(subject_email=placeholder)
    _stripe_events_redact(payment_intents)
    for campaign_id in campaign_ids:
        # Names and public messages show on the campaign page.
        public_cache_bump_on_commit(campaign_id)
    return count, campaign_ids


@dataclass(frozen=True)
class ErasureResult:
    donations_anonymised: int
    # Receipts the law makes us keep as issued, donor identity included.
    receipts_kept: tuple[str, ...] = field(default_factory=tuple)


def donor_receipts(*, email: str) -> QuerySet[TaxReceipt]:
    """Every receipt naming the address or covering one of its donations (annual receipts included)."""
    email = normalise_email(email)
    covered = TaxReceipt.objects.filter(donations__email__iexact=email).values("pk")
    return TaxReceipt.objects.filter(Q(donor_email__iexact=email) | Q(pk__in=covered)).select_related("ad").order_by("issued_at", "pk")


@transaction.atomic
def donor_data_erase(*, email: str, data_request: DonorDataRequest | None = None, now: datetime.datetime | None = None) -> ErasureResult:
    """Erase what we hold about a donor, keeping what the law requires. All or nothing.

    Refused (409) while a payment is in flight: until Stripe settles it, the row is
    how we find whose money it is.
    """
    now = now or timezone.now()
    email = normalise_email(email)
    if not email or is_erased_email(email):
        raise ApplicationError(_("Adresse e-mail inconnue."))
    # Locked so that a webhook cannot move a donation between the check and the update.
    donations = list(Donation.objects.select_for_update().filter(email__iexact=email).order_by("pk"))
    if any(donation.status in IN_FLIGHT_STATUSES for donation in donations):
        raise ConflictError(
            _(
                "Un de vos dons est en cours de paiement : nous ne pouvons pas effacer vos données tant que la banque ne l'a pas confirmé "
                "ou refusé. Réessayez dans quelques jours (un prélèvement SEPA peut prendre jusqu'à 14 jours ouvrés)."
            )
        )
    receipts_kept = tuple(receipt.number for receipt in donor_receipts(email=email))
    count, _campaign_ids = _donations_anonymise(Donation.objects.filter(pk__in=[donation.pk for donation in donations]))
    ErasureRecord.objects.create(
        source=ErasureSource.DONOR, email_digest=email_digest(email), donations_count=count, receipts_kept_count=len(receipts_kept), created_at=now
    )
    if data_request is not None:
        data_request.erased_at = now
        data_request.save(update_fields=["erased_at"])
    return ErasureResult(donations_anonymised=count, receipts_kept=receipts_kept)


# --- retention -------------------------------------------------------------------------------


def _ended_campaigns(*, statuses, before: datetime.datetime) -> QuerySet[Campaign]:
    """Campaigns in `statuses` that reached them before `before`.

    The moment is the last move into the current status (the audit trail), or the
    end of the collection when the trail has none (older rows, imports).
    """
    reached = Max("transitions__created_at", filter=Q(transitions__to_status__in=statuses))
    return Campaign.objects.filter(status__in=statuses).annotate(ended=Coalesce(reached, "ended_at")).filter(ended__lt=before)


def _delete_files_on_commit(names_by_storage: list[tuple[object, str]]) -> None:
    def delete():
        for storage, name in names_by_storage:
            try:
                storage.delete(name)
            except Exception:  # noqa: BLE001 — a storage hiccup must not undo the purge of the rows
                logger.warning("privacy: could not delete %s from storage", name, exc_info=True)

    transaction.on_commit(delete)


@transaction.atomic
def donor_data_retention_purge(*, now: datetime.datetime | None = None, batch_size: int = 500) -> dict[str, int]:
    """Anonymise donors of campaigns ended longer ago than the retention period, receipts older
    than ten years, and forget expired links and old access-log rows."""
    now = now or timezone.now()
    ended = _ended_campaigns(statuses=ENDED_STATUSES, before=now - datetime.timedelta(days=donor_retention_days()))
    donations = (
        Donation.objects.filter(campaign__in=ended.values("pk"))
        .exclude(email__iendswith=ERASED_EMAIL_SUFFIX)
        .exclude(status=DonationStatus.PROCESSING)
        .order_by("pk")
    )
    donation_count = 0
    while True:
        ids = list(donations.values_list("pk", flat=True)[:batch_size])
        if not ids:
            break
        count, _campaign_ids = _donations_anonymise(Donation.objects.filter(pk__in=ids))
        donation_count += count

    receipts = list(
        TaxReceipt.objects.filter(issued_at__lt=now - datetime.timedelta(days=receipt_retention_days())).exclude(donor_email__iendswith=ERASED_EMAIL_SUFFIX)
    )
    files: list[tuple[object, str]] = []
    for receipt in receipts:
        if receipt.pdf:
            files.append((receipt.pdf.storage, receipt.pdf.name))
        TaxReceipt.objects.filter(pk=receipt.pk).update(
            donor_name=ANONYMISED_NAME, company_name="", siret="", donor_address="", donor_email=erased_email(receipt.donor_email), pdf=""
        )
    _delete_files_on_commit(files)

    requests_deleted, _detail = DonorDataRequest.objects.filter(created_at__lt=now - 2 * LINK_MAX_AGE).delete()
    log_deleted, _detail = PersonalDataAccess.objects.filter(created_at__lt=now - datetime.timedelta(days=access_log_retention_days())).delete()
    if donation_count or receipts:
        ErasureRecord.objects.create(source=ErasureSource.RETENTION, donations_count=donation_count, receipts_anonymised_count=len(receipts), created_at=now)
    return {"donations": donation_count, "receipts": len(receipts), "links": requests_deleted, "access_log": log_deleted}


# --- pupils' pictures ------------------------------------------------------------------------


def can_set_picture_retention(user, campaign: Campaign) -> bool:
    """Only the campaign's own teacher, still a teacher of its cooperative: they collected the families' consent."""
    scope = actor_scope(user)
    return scope.user_id is not None and campaign.teacher_id == scope.user_id and scope.is_teacher_of(campaign.cooperative_id)


@transaction.atomic
def picture_retention_set(*, actor, campaign: Campaign, keep_with_consent: bool, now: datetime.datetime | None = None) -> PictureRetention:
    """The campaign's teacher (only them: they collected the families' consent) keeps or releases the pictures."""
    if not can_set_picture_retention(actor, campaign):
        raise ApplicationError(_("Seul·e l'enseignant·e du projet peut décider de conserver les photos."), status_code=403)
    retention, _created = PictureRetention.objects.select_for_update().get_or_create(campaign=campaign)
    retention.keep_with_consent = bool(keep_with_consent)
    retention.confirmed_by = actor
    retention.confirmed_at = now or timezone.now()
    retention.save()
    return retention


def _final_report_images(campaign_ids):
    # The final report's pictures show the same pupils; they live in the ledger app.
    try:
        from trousse.ledger.models import FinalReportImage
    except ImportError:  # pragma: no cover — a trimmed deployment without the books
        return None
    return FinalReportImage.objects.filter(report__campaign_id__in=campaign_ids)


@transaction.atomic
def campaign_pictures_purge(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Delete the pictures (rows and files, through the storage API so S3 works too) of campaigns
    closed, failed or cancelled longer ago than the retention period, unless their teacher keeps
    them with the families' consent."""
    now = now or timezone.now()
    campaigns = (
        _ended_campaigns(statuses=PICTURE_PURGE_STATUSES, before=now - datetime.timedelta(days=picture_retention_days()))
        .exclude(picture_retention__keep_with_consent=True)
        .values_list("pk", flat=True)
    )
    campaign_ids = list(campaigns)
    files: list[tuple[object, str]] = []
    images = list(CampaignImage.objects.filter(campaign_id__in=campaign_ids))
    report_images = _final_report_images(campaign_ids)
    report_images = list(report_images) if report_images is not None else []
    for picture in [*images, *report_images]:
        for image_field in (picture.large, picture.thumbnail):
            if image_field:
                files.append((image_field.storage, image_field.name))
    touched = {image.campaign_id for image in images}
    CampaignImage.objects.filter(pk__in=[image.pk for image in images]).delete()
    if report_images:
        type(report_images[0]).objects.filter(pk__in=[image.pk for image in report_images]).delete()
    _delete_files_on_commit(files)
    for campaign_id in touched:
        public_cache_bump_on_commit(campaign_id)
    if images or report_images:
        ErasureRecord.objects.create(source=ErasureSource.RETENTION, pictures_deleted_count=len(images) + len(report_images), created_at=now)
    return {"campaigns": len(touched), "pictures": len(images) + len(report_images)}


def privacy_retention_run(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """The daily job: each purge in its own transaction, so one failing does not hold back the other."""
    result = donor_data_retention_purge(now=now)
    result.update({f"pictures_{key}": value for key, value in campaign_pictures_purge(now=now).items()})
    return result


# --- the staff access log --------------------------------------------------------------------


def _request_path(request) -> str:
    if request is None:
        return ""
    return request.get_full_path()[:500]


@transaction.atomic
def personal_data_access_log(
    *,
    actor,
    purpose: str,
    donations: Iterable[Donation | int] | None = None,
    campaign: Campaign | None = None,
    request=None,
    subject_email: str = "",
    ad=None,
    receipts: Iterable[TaxReceipt] | None = None,
) -> int:
    """Record that `actor` read donors' personal data. Returns the number of rows written.

    One row per donation read (so a donor's question "who saw my data?" has an
    answer; `receipts` stands for the donations they cover), or else one row for
    a campaign's donor list, an address (an annual receipt looked up by e-mail)
    or an AD's whole year (the receipts CSV). `donations` may be instances, ids
    or a values_list of ids. A few queries whatever the number of donations.
    """
    if actor is None or not getattr(actor, "is_authenticated", False):
        return 0
    purpose = str(purpose or AccessPurpose.OTHER)[:40]
    path = _request_path(request)
    now = timezone.now()
    rows: list[PersonalDataAccess] = []
    ids: list[int] = []
    if donations is not None:
        ids.extend(item if isinstance(item, int) else item.pk for item in donations)
    if receipts is not None:
        receipt_ids = [receipt.pk for receipt in receipts]
        ids.extend(TaxReceipt.donations.through.objects.filter(taxreceipt_id__in=receipt_ids).values_list("donation_id", flat=True))
    ids = sorted(set(ids))
    # In chunks: SQLite caps the parameters of one query, and an export may hold thousands.
    for start in range(0, len(ids), 900):
        details = Donation.objects.filter(pk__in=ids[start : start + 900]).values_list("pk", "email", "campaign_id", "campaign__cooperative__ad_id")
        for pk, email, campaign_id, ad_id in details:
            rows.append(
                PersonalDataAccess(actor=actor, donation_id=pk, subject_email=email, campaign_id=campaign_id, ad_id=ad_id, purpose=purpose, path=path, created_at=now)
            )
    if not rows and (campaign is not None or subject_email or ad is not None):
        ad_id = ad.pk if ad is not None else None
        if campaign is not None and ad_id is None:
            ad_id = Campaign.objects.filter(pk=campaign.pk).values_list("cooperative__ad_id", flat=True).first()
        rows.append(
            PersonalDataAccess(
                actor=actor, campaign=campaign, ad_id=ad_id, subject_email=normalise_email(subject_email), purpose=purpose, path=path, created_at=now
            )
        )
    PersonalDataAccess.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
