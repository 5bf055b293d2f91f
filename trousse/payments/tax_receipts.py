"""Tax receipts: who is eligible, gapless numbering, issue, cancel, reissue, year end.

When: campaigns are all-or-nothing (below the minimum goal every donor is refunded),
so a receipt is issued only once the donation's campaign has succeeded. The
campaign's move to `succeeded` dispatches `tax_receipts_issue_for_campaign`; a
donation paid later (a SEPA debit settling after the end) gets its receipt from
`tax_receipt_sync`, which every status change of a donation runs.

The law behind the rules (DESIGN.md, Money):
- a receipt only for a gift: a parent paying toward their own child's class gets a
  counterpart and is not eligible, nor is any gift whose counterpart exceeds 25 % of
  it or 73 € (the tax administration's "disproportion marquée", BOI-IR-RICI-250-10-20-10);
- individuals on Cerfa n° 11580*05 (article 200 CGI), businesses on n° 16216*01
  (article 238 bis CGI);
- one number per AD and year, without gaps: the number is taken under a row lock on
  TaxReceiptSequence in the same transaction that writes the receipt, so a rollback
  gives the number back and a crash never leaves a hole. The PDF is rendered after
  commit, separately, and may be retried as often as needed;
- a receipt is never deleted nor renumbered: a refund cancels it (and a partial
  refund reissues one for the net amount, naming the donor as the cancelled one did:
  the identity is frozen at first issue, and survives the donor's data erasure);
- article 222 bis CGI: each year the AD declares the number and amount of the
  receipts it issued.
"""

from __future__ import annotations

import csv
import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from trousse.accounts.models import DepartmentalAssociation
from trousse.accounts.selectors import actor_scope
from trousse.campaigns.models import Campaign
from trousse.campaigns.models import Status as CampaignStatus
from trousse.exceptions import ApplicationError
from trousse.privacy.services import is_erased_email

from .models import Donation, DonationStatus, DonorType, PaymentMethod, TaxReceipt, TaxReceiptForm, TaxReceiptSequence, TaxReceiptStatus

logger = logging.getLogger(__name__)

# A counterpart above either limit makes the payment a purchase, not a gift.
COUNTERPART_MAX_CENTS = 7_300
COUNTERPART_MAX_SHARE_DENOMINATOR = 4  # 25 %

# Donations whose money we hold: a receipt may cover them (net of refunds).
RECEIPT_STATUSES = (DonationStatus.SUCCEEDED, DonationStatus.PARTIALLY_REFUNDED)
# Campaigns whose money stays with the cooperative: before success (live), a gift may
# still be refunded in full, and about one campaign in five fails.
RECEIPT_CAMPAIGN_STATUSES = (CampaignStatus.SUCCEEDED, CampaignStatus.FUNDED, CampaignStatus.CLOSED)

# The donor's link must still work when the tax office asks, years later.
DOWNLOAD_LINK_MAX_AGE = datetime.timedelta(days=6 * 366)
_TOKEN_SALT = "trousse.payments.tax_receipt"


# --- eligibility ---------------------------------------------------------------------------------


def counterpart_is_acceptable(*, gift_cents: int, counterpart_cents: int) -> bool:
    """The counterpart stays within both limits: at most 25 % of the gift and at most 73 €."""
    if counterpart_cents <= 0:
        return True
    return counterpart_cents * COUNTERPART_MAX_SHARE_DENOMINATOR <= gift_cents and counterpart_cents <= COUNTERPART_MAX_CENTS


def donation_counterpart_cents(donation: Donation) -> int:
    """The value of what the donor declared getting back (a postcard, a show ticket...), in cents."""
    return donation.counterpart_cents


@dataclass(frozen=True)
class DonorIdentity:
    """Who a receipt names: read from the donation at first issue, frozen on the receipt since.

    A receipt reissued for the net amount names the donor as the cancelled one did,
    even once the donor's data were erased from the donation (the receipt keeps them:
    the tax office may check it for six years).
    """

    form: str
    donor_name: str
    company_name: str
    siret: str
    donor_address: str

    @classmethod
    def of_donation(cls, donation: Donation) -> DonorIdentity:
        business = donation.donor_type == DonorType.BUSINESS
        return cls(
            form=donation_receipt_form(donation),
            donor_name=f"{donation.first_name} {donation.last_name}".strip(),
            company_name=donation.company_name.strip() if business else "",
            siret=donation.siret.strip() if business else "",
            donor_address=_donor_address(donation),
        )

    @classmethod
    def of_receipt(cls, receipt: TaxReceipt) -> DonorIdentity:
        return cls(
            form=receipt.form,
            donor_name=receipt.donor_name,
            company_name=receipt.company_name,
            siret=receipt.siret,
            donor_address=receipt.donor_address,
        )


def _gift_refusal(donation: Donation, *, on_request: bool) -> str | None:
    """The rules on the money: paid, asked for, a gift and not a purchase."""
    if donation.status not in RECEIPT_STATUSES or donation.net_cents <= 0:
        return _("Le don n'est pas encaissé (état : %(status)s).") % {"status": donation.get_status_display()}
    if not on_request and not donation.wants_tax_receipt:
        return _("Le donateur n'a pas demandé de reçu fiscal.")
    if donation.is_parent_of_pupil:
        return _("Un parent d'élève de la classe reçoit une contrepartie : ce n'est pas un don.")
    if not counterpart_is_acceptable(gift_cents=donation.net_cents, counterpart_cents=donation_counterpart_cents(donation)):
        return _("La contrepartie dépasse le quart du don ou 73 € : ce n'est pas un don.")
    return None


def _identity_refusal(donation: Donation, identity: DonorIdentity | None) -> str | None:
    if identity is None:
        if not (donation.address_line.strip() and donation.postal_code.strip() and donation.city.strip()):
            return _("L'adresse postale du donateur manque.")
        if donation.donor_type == DonorType.BUSINESS and not donation.company_name.strip():
            return _("La raison sociale de l'entreprise manque.")
        return None
    if not identity.donor_address.strip():
        return _("L'adresse postale du donateur manque.")
    if identity.form == TaxReceiptForm.BUSINESS and not identity.company_name.strip():
        return _("La raison sociale de l'entreprise manque.")
    return None


def donation_receipt_refusal(donation: Donation, *, on_request: bool = False, identity: DonorIdentity | None = None) -> str | None:
    """Why this donation gets no receipt (a sentence for the AD), or None when it does.

    `on_request`: the donor asks now (annual receipt), so the tick box of the donation
    form no longer matters. `identity`: the frozen identity the receipt will carry,
    when it is not read from the donation (a reissue after the donor's data erasure).
    """
    refusal = _gift_refusal(donation, on_request=on_request)
    if refusal:
        return refusal
    if donation.campaign.status not in RECEIPT_CAMPAIGN_STATUSES:
        return _("Le projet n'a pas encore réussi sa collecte : le reçu fiscal est émis quand l'objectif minimum est atteint, à la fin de la collecte.")
    return _identity_refusal(donation, identity)


def donation_is_receipt_eligible(donation: Donation, *, on_request: bool = False, identity: DonorIdentity | None = None) -> bool:
    return donation_receipt_refusal(donation, on_request=on_request, identity=identity) is None


def donation_receipt_form(donation: Donation) -> str:
    return TaxReceiptForm.BUSINESS if donation.donor_type == DonorType.BUSINESS else TaxReceiptForm.INDIVIDUAL


def donation_gift_date(donation: Donation) -> datetime.date:
    moment = donation.succeeded_at or donation.created_at or timezone.now()
    return timezone.localdate(moment)


# --- numbering -----------------------------------------------------------------------------------


def tax_receipt_number_allocate(*, ad: DepartmentalAssociation, year: int) -> int:
    """The next sequence number of this AD and year, under a row lock.

    Must run inside the transaction that writes the receipt: the lock is held until
    commit, so concurrent issues queue up, and a rollback gives the number back.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("tax_receipt_number_allocate must run inside the receipt's transaction")
    # Insert-if-absent without an exception: a concurrent first issue of the year
    # simply finds the row the other one created.
    TaxReceiptSequence.objects.bulk_create([TaxReceiptSequence(ad=ad, year=year, last_number=0)], ignore_conflicts=True)
    sequence = TaxReceiptSequence.objects.select_for_update().get(ad=ad, year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number


def tax_receipt_number_format(*, ad: DepartmentalAssociation, year: int, sequence: int) -> str:
    return f"{ad.number}-{year}-{sequence:06d}"


# --- issue ---------------------------------------------------------------------------------------


def _donor_address(donation: Donation) -> str:
    lines = [donation.address_line.strip(), f"{donation.postal_code.strip()} {donation.city.strip()}".strip()]
    if donation.country and donation.country.upper() != "FR":
        lines.append(donation.country.upper())
    return "\n".join(line for line in lines if line)


def _payment_form(donations: Iterable[Donation]) -> str:
    methods = {donation.method for donation in donations}
    labels = {PaymentMethod.CARD: "Carte bancaire", PaymentMethod.SEPA_DEBIT: "Prélèvement SEPA"}
    # Frozen on the receipt in French, as the Cerfa is: not a translated label.
    return " et ".join(labels.get(method, str(method)) for method in sorted(methods))


def _receipt_create(
    *, ad: DepartmentalAssociation, donations: list[Donation], is_annual: bool, today: datetime.date | None, identity: DonorIdentity | None = None
) -> TaxReceipt:
    """Write one receipt for `donations` (already locked and checked by the caller).

    `identity`: whom the receipt names; by default, the donor of the latest donation as
    the donation row holds them now.
    """
    today = today or timezone.localdate()
    latest = max(donations, key=lambda donation: (donation_gift_date(donation), donation.pk))
    identity = identity or DonorIdentity.of_donation(latest)
    sequence = tax_receipt_number_allocate(ad=ad, year=today.year)
    receipt = TaxReceipt.objects.create(
        ad=ad,
        year=today.year,
        sequence=sequence,
        number=tax_receipt_number_format(ad=ad, year=today.year, sequence=sequence),
        form=identity.form,
        is_annual=is_annual,
        amount_cents=sum(donation.net_cents for donation in donations),
        donor_name=identity.donor_name,
        company_name=identity.company_name,
        siret=identity.siret,
        donor_address=identity.donor_address,
        # The donation's address as it is now: after an erasure, the placeholder, to which
        # nothing is ever sent (the e-mail is no mention of the Cerfa, so it is not frozen).
        donor_email=latest.email,
        gift_date=donation_gift_date(latest),
        payment_form=_payment_form(donations),
        president_name=ad.president_name,
    )
    receipt.donations.set(donations)
    _schedule_delivery(receipt.pk)
    return receipt


def _schedule_delivery(receipt_id: int) -> None:
    # Rendering and e-mailing happen after commit, in their own task, retried on
    # failure: they can never undo (or leave a gap in) the numbering. `robust`: with
    # eager Celery, a failed rendering must not turn a committed donation into a 500;
    # the PDF is then rendered on first download or by `tax_receipts_year_end`.
    from .receipt_tasks import tax_receipt_deliver

    transaction.on_commit(lambda: tax_receipt_deliver.delay(receipt_id), robust=True)


def _active_receipts_for(donation: Donation) -> list[TaxReceipt]:
    # of=("self",): lock the receipts only, not the rows of the joined tables.
    return list(TaxReceipt.objects.select_for_update(of=("self",)).filter(donations=donation, status=TaxReceiptStatus.ISSUED).order_by("pk"))


def _lock_donation(donation_id: int) -> Donation:
    # The donation row only: the campaign row stays free for the payments services.
    return Donation.objects.select_for_update(of=("self",)).select_related("campaign__cooperative__ad").get(pk=donation_id)


def _identity_for_new_receipt(donation: Donation) -> DonorIdentity | None:
    """The identity a new receipt of this donation names, when the donation no longer holds it.

    After the donor's data erasure, the donation row is anonymised but its earlier
    (cancelled) receipts keep who gave: a dispute won after the erasure gets its receipt
    back under that name. None: read the donation itself.
    """
    if not is_erased_email(donation.email):
        return None
    earlier = TaxReceipt.objects.filter(donations=donation).order_by("-issued_at", "-pk").first()
    return DonorIdentity.of_receipt(earlier) if earlier is not None else None


@transaction.atomic
def tax_receipt_issue(*, donation: Donation, today: datetime.date | None = None) -> TaxReceipt:
    """Issue the receipt of one eligible paid donation. Refuses a second active receipt."""
    donation = _lock_donation(donation.pk)
    identity = _identity_for_new_receipt(donation)
    refusal = donation_receipt_refusal(donation, identity=identity)
    if refusal:
        raise ApplicationError(refusal)
    if _active_receipts_for(donation):
        raise ApplicationError(_("Ce don a déjà un reçu fiscal en cours de validité."), status_code=409)
    return _receipt_create(ad=donation.campaign.cooperative.ad, donations=[donation], is_annual=False, today=today, identity=identity)


@transaction.atomic
def tax_receipt_cancel(*, receipt: TaxReceipt, reason: str, actor=None) -> TaxReceipt:
    """Cancel a receipt: kept with its number, marked cancelled, never deleted. Idempotent."""
    receipt = TaxReceipt.objects.select_for_update().get(pk=receipt.pk)
    if receipt.status == TaxReceiptStatus.CANCELLED:
        return receipt
    if actor is not None and not actor_scope(actor).is_treasurer_of(receipt.ad_id):
        raise ApplicationError(_("Seul·e le·la trésorier·e de l'AD peut annuler ce reçu."), status_code=403)
    receipt.status = TaxReceiptStatus.CANCELLED
    receipt.cancelled_at = timezone.now()
    receipt.cancel_reason = reason[:300]
    receipt.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    if receipt.emailed_at is not None:
        from .receipt_tasks import tax_receipt_notify_cancelled

        receipt_id = receipt.pk
        transaction.on_commit(lambda: tax_receipt_notify_cancelled.delay(receipt_id), robust=True)
    return receipt


def _cancel_reason(donation: Donation) -> str:
    # Stored in French, as printed on the cancelled Cerfa; the donor's e-mail translates it (gettext_noop).
    if donation.status == DonationStatus.REFUNDED:
        return gettext_noop("Don remboursé")
    if donation.status == DonationStatus.PARTIALLY_REFUNDED:
        return gettext_noop("Don partiellement remboursé : remplacé par un reçu du montant net")
    if donation.status == DonationStatus.DISPUTED:
        return gettext_noop("Paiement contesté auprès de la banque")
    return f"Don devenu inéligible ({donation.status})"


@dataclass(frozen=True)
class SyncResult:
    issued: tuple[str, ...] = ()
    cancelled: tuple[str, ...] = ()


@transaction.atomic
def tax_receipt_sync(*, donation_id: int, today: datetime.date | None = None) -> SyncResult:
    """Bring the donation's receipts in line with its state. Idempotent: run it after
    every status change, as often as you like.

    - eligible, paid, of a campaign that succeeded, and without an active receipt:
      issue one (nothing while the campaign is live: it may still fail and refund);
    - refunded, disputed or otherwise no longer receivable: cancel the active receipt;
    - partially refunded: cancel it and issue one for the net amount;
    - covered by an annual receipt: that receipt is cancelled and reissued for the
      donations it still validly covers.
    A reissue names the donor as the cancelled receipt did (frozen at issue): the
    donation itself may have been anonymised since, at the donor's request.
    """
    try:
        donation = _lock_donation(donation_id)
    except Donation.DoesNotExist:
        return SyncResult()
    active = _active_receipts_for(donation)
    if not active:
        identity = _identity_for_new_receipt(donation)
        if donation_is_receipt_eligible(donation, identity=identity):
            receipt = _receipt_create(ad=donation.campaign.cooperative.ad, donations=[donation], is_annual=False, today=today, identity=identity)
            return SyncResult(issued=(receipt.number,))
        return SyncResult()

    issued: list[str] = []
    cancelled: list[str] = []
    for receipt in active:
        covered = list(receipt.donations.order_by("pk"))
        # The receipt stays valid only if every donation it covers still is a paid gift, for
        # the amount it states. Not the donor's details: they are frozen on the receipt.
        still_valid = [d for d in covered if _gift_refusal(d, on_request=True) is None]
        if len(still_valid) == len(covered) and sum(d.net_cents for d in covered) == receipt.amount_cents:
            continue
        reason = _cancel_reason(donation)
        tax_receipt_cancel(receipt=receipt, reason=reason)
        cancelled.append(receipt.number)
        if still_valid:
            # Other donations of an annual receipt may be locked by no one else: lock them now, in pk order.
            locked = list(Donation.objects.select_for_update(of=("self",)).filter(pk__in=[d.pk for d in still_valid]).order_by("pk"))
            new = _receipt_create(ad=receipt.ad, donations=locked, is_annual=receipt.is_annual, today=today, identity=DonorIdentity.of_receipt(receipt))
            issued.append(new.number)
    return SyncResult(issued=tuple(issued), cancelled=tuple(cancelled))


# --- a campaign's receipts, once it succeeded ----------------------------------------------------


def _donations_awaiting_receipt(*, campaign_id: int | None = None) -> QuerySet[Donation]:
    """Paid donations of campaigns that succeeded that asked for a receipt and never had one.

    Never had one, not "have no active one": a receipt the treasurer cancelled must stay
    cancelled, and reissues (refunds, disputes) are the sync's, at each status change.
    Without an address the law's conditions are not met: those are not retried forever.
    """
    any_receipt = TaxReceipt.donations.through.objects.filter(donation_id=OuterRef("pk"))
    donations = (
        Donation.objects.filter(
            campaign__status__in=RECEIPT_CAMPAIGN_STATUSES,
            status__in=RECEIPT_STATUSES,
            wants_tax_receipt=True,
            is_parent_of_pupil=False,
        )
        .exclude(address_line="")
        .exclude(postal_code="")
        .exclude(city="")
        .exclude(Exists(any_receipt))
    )
    if campaign_id is not None:
        donations = donations.filter(campaign_id=campaign_id)
    return donations.order_by("pk")


def tax_receipts_issue_for_campaign(*, campaign_id: int, today: datetime.date | None = None) -> list[str]:
    """Issue the receipts of every eligible paid donation of a campaign that succeeded.

    Not atomic as a whole, on purpose: each receipt commits in its own transaction
    (tax_receipt_sync: donation row lock, per-AD sequence lock, "already has an active
    receipt" check). A run killed midway keeps the receipts it committed, the one in
    flight rolls back with its number, and the next run issues only what is missing:
    run it twice, or after a crash, and every donation has exactly one receipt,
    numbered without gap. Returns the numbers issued by this run.
    """
    status = Campaign.objects.filter(pk=campaign_id).values_list("status", flat=True).first()
    if status not in RECEIPT_CAMPAIGN_STATUSES:
        return []
    # The ids first: the loop commits as it goes, a cursor must not span it.
    donation_ids = list(_donations_awaiting_receipt(campaign_id=campaign_id).values_list("pk", flat=True))
    issued: list[str] = []
    for donation_id in donation_ids:
        issued.extend(tax_receipt_sync(donation_id=donation_id, today=today).issued)
    if issued:
        logger.info("campaign %s: %d tax receipts issued", campaign_id, len(issued))
    return issued


def tax_receipts_issue_missing(*, today: datetime.date | None = None) -> dict[int, int]:
    """The safety net behind the dispatch on success (a broker down at that moment):
    issue the receipts still missing on every campaign that succeeded. Idempotent."""
    campaign_ids = sorted(set(_donations_awaiting_receipt().values_list("campaign_id", flat=True)))
    counts: dict[int, int] = {}
    for campaign_id in campaign_ids:
        issued = tax_receipts_issue_for_campaign(campaign_id=campaign_id, today=today)
        if issued:
            counts[campaign_id] = len(issued)
    return counts


# --- year end ------------------------------------------------------------------------------------


def donations_without_receipt(*, ad: DepartmentalAssociation, donor_email: str, year: int) -> QuerySet[Donation]:
    """The donor's paid donations to the AD's campaigns in `year` that no active receipt covers."""
    active = TaxReceipt.donations.through.objects.filter(donation_id=OuterRef("pk"), taxreceipt__status=TaxReceiptStatus.ISSUED)
    start = timezone.make_aware(datetime.datetime(year, 1, 1))
    end = timezone.make_aware(datetime.datetime(year + 1, 1, 1))
    return (
        Donation.objects.filter(
            campaign__cooperative__ad=ad,
            email__iexact=donor_email.strip(),
            status__in=RECEIPT_STATUSES,
        )
        # The gift's date is the payment's; a row without it (imported, older code) falls back to its creation.
        .filter(Q(succeeded_at__gte=start, succeeded_at__lt=end) | Q(succeeded_at__isnull=True, created_at__gte=start, created_at__lt=end))
        .exclude(Exists(active))
        # The eligibility reads the campaign's status: one query, not one per donation.
        .select_related("campaign")
        .order_by("pk")
    )


@transaction.atomic
def tax_receipt_issue_annual(
    *, actor, ad: DepartmentalAssociation, donor_email: str, year: int, donor_type: str | None = None, today: datetime.date | None = None
) -> TaxReceipt:
    """A consolidated receipt, on the donor's request, for their gifts of `year` that have no receipt yet.

    Never covers a donation twice: the donations are locked, then those with an
    active receipt are left out, under the same locks the per-donation issue takes.
    """
    if not actor_scope(actor).is_treasurer_of(ad.pk):
        raise ApplicationError(_("Seul·e le·la trésorier·e de l'AD peut émettre un reçu annuel."), status_code=403)
    today = today or timezone.localdate()
    if not 2000 <= year <= today.year:
        raise ApplicationError(_("L'année %(year)s n'est pas une année écoulée ou en cours.") % {"year": year})
    # Lock in pk order (as the sync does) so two issues never deadlock, then re-check.
    candidates = list(donations_without_receipt(ad=ad, donor_email=donor_email, year=year).select_for_update(of=("self",)))
    candidates = [d for d in candidates if not _active_receipts_for(d)]
    if not candidates:
        raise ApplicationError(
            _("Aucun don de %(email)s en %(year)s sans reçu : rien à récapituler.") % {"email": donor_email, "year": year},
            field_errors={"donor_email": _("Aucun don sans reçu pour cette adresse et cette année.")},
        )
    eligible = [d for d in candidates if donation_is_receipt_eligible(d, on_request=True)]
    if not eligible:
        raise ApplicationError(donation_receipt_refusal(candidates[0], on_request=True) or _("Aucun don éligible."))
    types = {d.donor_type for d in eligible}
    if donor_type:
        eligible = [d for d in eligible if d.donor_type == donor_type]
        if not eligible:
            raise ApplicationError(_("Aucun don éligible de ce type de donateur."))
    elif len(types) > 1:
        raise ApplicationError(
            _("Ces dons ont été faits à titre personnel et au nom d'une entreprise : émettez un reçu pour chacun."),
            field_errors={"donor_type": _("Choisissez particulier ou entreprise.")},
        )
    return _receipt_create(ad=ad, donations=eligible, is_annual=True, today=today)


@dataclass(frozen=True)
class YearTotals:
    """What the AD declares (article 222 bis CGI): receipts issued in the year, cancelled ones apart."""

    year: int
    issued_count: int
    issued_amount_cents: int
    cancelled_count: int
    cancelled_amount_cents: int
    individual_count: int
    individual_amount_cents: int
    business_count: int
    business_amount_cents: int


def tax_receipts_year_totals(*, ad: DepartmentalAssociation, year: int) -> YearTotals:
    issued = Q(status=TaxReceiptStatus.ISSUED)
    cancelled = Q(status=TaxReceiptStatus.CANCELLED)
    row = TaxReceipt.objects.filter(ad=ad, year=year).aggregate(
        issued_count=Count("pk", filter=issued),
        issued_amount=Sum("amount_cents", filter=issued, default=0),
        cancelled_count=Count("pk", filter=cancelled),
        cancelled_amount=Sum("amount_cents", filter=cancelled, default=0),
        individual_count=Count("pk", filter=issued & Q(form=TaxReceiptForm.INDIVIDUAL)),
        individual_amount=Sum("amount_cents", filter=issued & Q(form=TaxReceiptForm.INDIVIDUAL), default=0),
        business_count=Count("pk", filter=issued & Q(form=TaxReceiptForm.BUSINESS)),
        business_amount=Sum("amount_cents", filter=issued & Q(form=TaxReceiptForm.BUSINESS), default=0),
    )
    return YearTotals(
        year=year,
        issued_count=row["issued_count"],
        issued_amount_cents=row["issued_amount"],
        cancelled_count=row["cancelled_count"],
        cancelled_amount_cents=row["cancelled_amount"],
        individual_count=row["individual_count"],
        individual_amount_cents=row["individual_amount"],
        business_count=row["business_count"],
        business_amount_cents=row["business_amount"],
    )


def tax_receipt_list_for_actor(*, actor, ad: DepartmentalAssociation, year: int | None = None) -> QuerySet[TaxReceipt]:
    """The AD's receipts, for its treasurers and federation admins only (empty for anyone else)."""
    if not actor_scope(actor).is_treasurer_of(ad.pk):
        return TaxReceipt.objects.none()
    receipts = TaxReceipt.objects.filter(ad=ad).select_related("ad").order_by("year", "sequence")
    if year is not None:
        receipts = receipts.filter(year=year)
    return receipts


def tax_receipt_years(*, ad: DepartmentalAssociation) -> list[int]:
    return sorted(TaxReceiptSequence.objects.filter(ad=ad).values_list("year", flat=True), reverse=True)


def _csv_amount(cents: int) -> str:
    # Accounting software and French spreadsheets read "1234,50": no thousands separator.
    return f"{cents // 100},{cents % 100:02d}"


CSV_HEADER = ["numero", "date_emission", "annuel", "formulaire", "donateur", "raison_sociale", "siret", "email", "adresse", "date_don", "montant", "statut", "annule_le", "motif_annulation"]


def tax_receipts_write_csv(*, ad: DepartmentalAssociation, year: int, out: IO[str], progress: Callable[[int], None] | None = None) -> YearTotals:
    """All the receipts of the AD and year, then the totals to declare (article 222 bis CGI).

    Semicolon-separated (French spreadsheets); `progress(n)` is called as rows are written.
    """
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for receipt in TaxReceipt.objects.filter(ad=ad, year=year).order_by("sequence").iterator(chunk_size=2000):
        writer.writerow(
            [
                receipt.number,
                timezone.localdate(receipt.issued_at).isoformat(),
                "oui" if receipt.is_annual else "non",
                "11580*05" if receipt.form == TaxReceiptForm.INDIVIDUAL else "16216*01",
                receipt.donor_name,
                receipt.company_name,
                receipt.siret,
                receipt.donor_email,
                receipt.donor_address.replace("\n", ", "),
                receipt.gift_date.isoformat(),
                _csv_amount(receipt.amount_cents),
                "emis" if receipt.status == TaxReceiptStatus.ISSUED else "annule",
                timezone.localdate(receipt.cancelled_at).isoformat() if receipt.cancelled_at else "",
                receipt.cancel_reason,
            ]
        )
        if progress is not None:
            progress(1)
    totals = tax_receipts_year_totals(ad=ad, year=year)
    writer.writerow([])
    writer.writerow(["total_recus_emis", totals.issued_count, "", "", "", "", "", "", "", "", _csv_amount(totals.issued_amount_cents)])
    writer.writerow(["total_recus_annules", totals.cancelled_count, "", "", "", "", "", "", "", "", _csv_amount(totals.cancelled_amount_cents)])
    return totals


# --- PDF, e-mail, signed link --------------------------------------------------------------------


def tax_receipt_token(receipt: TaxReceipt) -> str:
    return signing.TimestampSigner(salt=_TOKEN_SALT).sign(receipt.number)


def tax_receipt_from_token(token: str) -> TaxReceipt:
    """The receipt a signed link points to; Http404 for a tampered, foreign or expired link."""
    try:
        number = signing.TimestampSigner(salt=_TOKEN_SALT).unsign(token, max_age=DOWNLOAD_LINK_MAX_AGE)
    except signing.BadSignature as error:  # SignatureExpired is a BadSignature
        raise Http404("bad receipt token") from error
    try:
        return TaxReceipt.objects.select_related("ad").get(number=number)
    except TaxReceipt.DoesNotExist as error:
        raise Http404("no such receipt") from error


def tax_receipt_download_url(receipt: TaxReceipt) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("tax_receipt_download", kwargs={"token": tax_receipt_token(receipt)})


def _receipt_for_rendering(receipt_id: int) -> TaxReceipt:
    return TaxReceipt.objects.select_related("ad").prefetch_related("donations__campaign__cooperative").get(pk=receipt_id)


def tax_receipt_render(*, receipt_id: int, force: bool = False) -> TaxReceipt:
    """Render the PDF and store it (default storage). Safe to retry: a stored PDF is kept."""
    from .receipt_pdf import render_tax_receipt_pdf

    receipt = _receipt_for_rendering(receipt_id)
    if receipt.pdf and not force:
        return receipt
    data = render_tax_receipt_pdf(receipt)
    receipt.pdf.save(f"{receipt.ad.number}/{receipt.year}/{receipt.number}.pdf", ContentFile(data), save=False)
    # Only the file column: a cancellation committed meanwhile must not be overwritten.
    TaxReceipt.objects.filter(pk=receipt.pk).update(pdf=receipt.pdf.name)
    return receipt


def tax_receipt_pdf_bytes(receipt: TaxReceipt) -> bytes:
    """The stored PDF, rendered now if the background job has not done it yet."""
    if not receipt.pdf:
        receipt = tax_receipt_render(receipt_id=receipt.pk)
    try:
        with receipt.pdf.open("rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return tax_receipt_render(receipt_id=receipt.pk, force=True).pdf.open("rb").read()


def _donor_is_erased(receipt: TaxReceipt) -> bool:
    """The donor had their data erased: never write to them again.

    A receipt issued before the erasure keeps the real address (frozen, for the tax
    office), so the donations it covers are asked too. `donations` is prefetched.
    """
    return is_erased_email(receipt.donor_email) or any(is_erased_email(donation.email) for donation in receipt.donations.all())


def tax_receipt_language(receipt: TaxReceipt) -> str:
    """The language of the receipt's e-mails: the donor's latest donation's (an annual receipt covers several).

    `donations` is prefetched by the callers.
    """
    donations = list(receipt.donations.all())
    if not donations:
        return settings.LANGUAGE_CODE
    latest = max(donations, key=lambda donation: (donation_gift_date(donation), donation.pk))
    return latest.language or settings.LANGUAGE_CODE


@transaction.atomic
def tax_receipt_send(*, receipt_id: int) -> bool:
    """E-mail the receipt to the donor with the PDF attached, once. Returns whether it sent."""
    receipt = TaxReceipt.objects.select_for_update().get(pk=receipt_id)
    if receipt.emailed_at is not None or receipt.status != TaxReceiptStatus.ISSUED:
        return False
    receipt = _receipt_for_rendering(receipt_id)
    if _donor_is_erased(receipt):
        # The receipt stays issued and downloadable by the AD; the donor asked us to forget them.
        logger.info("tax receipt %s: not e-mailed, the donor's data were erased", receipt.number)
        return False
    # The PDF is a French tax form: rendered in French whatever the e-mail's language (receipt_pdf).
    pdf = tax_receipt_pdf_bytes(receipt)
    context = {"receipt": receipt, "download_url": tax_receipt_download_url(receipt), "ad": receipt.ad}
    with translation.override(tax_receipt_language(receipt)):
        subject = render_to_string("payments/receipts/email_issued_subject.txt", context).strip()
        body = render_to_string("payments/receipts/email_issued.txt", context)
    message = EmailMessage(subject=subject, body=body, to=[receipt.donor_email])
    message.attach(f"recu-fiscal-{receipt.number}.pdf", pdf, "application/pdf")
    message.send()
    # Marked after sending, in the same locked transaction: a crash re-sends rather than never sends.
    TaxReceipt.objects.filter(pk=receipt.pk).update(emailed_at=timezone.now())
    return True


def tax_receipt_send_cancellation(*, receipt_id: int) -> None:
    receipt = TaxReceipt.objects.select_related("ad").prefetch_related("donations").get(pk=receipt_id)
    if receipt.status != TaxReceiptStatus.CANCELLED or _donor_is_erased(receipt):
        return
    with translation.override(tax_receipt_language(receipt)):
        # Our own reasons are in the catalogue; a treasurer's free text is left as typed.
        context = {"receipt": receipt, "ad": receipt.ad, "cancel_reason": _(receipt.cancel_reason) if receipt.cancel_reason else ""}
        subject = render_to_string("payments/receipts/email_cancelled_subject.txt", context).strip()
        body = render_to_string("payments/receipts/email_cancelled.txt", context)
    EmailMessage(subject=subject, body=body, to=[receipt.donor_email]).send()
