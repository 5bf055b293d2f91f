"""Every write of the payments app: donations, their one transition service, webhooks, refunds, disputes.

Exactly-once rests on our database: the donation row is locked
(`select_for_update`) for every move, moves follow DONATION_TRANSITIONS (never
backwards; a repeated move is a no-op), each webhook event is stored once under
its unique id, and each ledger posting has a unique key derived from our ids.
Stripe's idempotency keys are a second guard only.

Lock order, everywhere: donation, then refund, then campaign.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import connections, router, transaction
from django.db.models import F, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from trousse.accounts.selectors import actor_scope
from trousse.accounts.validators import validate_siret
from trousse.campaigns.models import MINIMUM_DONATION_CENTS, REFUNDING_STATUSES, Campaign, Status
from trousse.exceptions import ApplicationError, ConflictError
from trousse.ledger.models import LedgerTransaction
from trousse.ledger.selectors import campaign_fund_balance
from trousse.ledger.services import ledger_record_dispute, ledger_record_donation, ledger_record_refund, ledger_reverse
from trousse.money import format_euros

from . import gateway
from .failures import failure_reason
from .models import (
    DONATION_TRANSITIONS,
    Donation,
    DonationStatus,
    DonationTransition,
    DonorType,
    PaymentMethod,
    Refund,
    RefundStatus,
    StripeEvent,
)
from .tax_receipts import RECEIPT_CAMPAIGN_STATUSES

logger = logging.getLogger(__name__)

# Amount buttons on the form (the donor may type any other amount).
DONATION_PRESETS_CENTS = (1_000, 2_000, 5_000, 10_000)
# After this many failed attempts a refund waits for a person (the AD treasurer sees it).
REFUND_MAX_ATTEMPTS = 5

# Stripe's PaymentIntent status -> ours. requires_action / requires_confirmation leave the donation pending.
_INTENT_STATUS_MAP = {
    "succeeded": DonationStatus.SUCCEEDED,
    "processing": DonationStatus.PROCESSING,
    "canceled": DonationStatus.CANCELLED,
}


# --------------------------------------------------------------------------- side effects by name


# A donation in these states never held money, and none moves back to them: no receipt ever
# covered it (receipts are issued for paid donations only), so none can need cancelling.
_NEVER_PAID = frozenset({DonationStatus.PENDING, DonationStatus.PROCESSING, DonationStatus.FAILED, DonationStatus.CANCELLED})


def _tax_receipt_sync(donation: Donation) -> None:
    """After a status change that may touch a receipt: the receipts work decides itself to issue, cancel or reissue."""
    try:
        from trousse.payments.receipt_tasks import tax_receipt_sync_for_donation
    except ImportError:  # the receipts work has not shipped its task yet
        return
    tax_receipt_sync_for_donation.delay_on_commit(donation.pk)


def _public_cache_bump(campaign_id: int) -> None:
    try:
        from trousse.campaigns.cache import public_cache_bump
    except ImportError:  # the campaigns work has not shipped the cache module yet
        return
    transaction.on_commit(lambda: public_cache_bump(campaign_id))


# --------------------------------------------------------------------------- donation creation


def _clean(value: str | None, limit: int) -> str:
    return (value or "").strip()[:limit]


def _donor_language(language: str | None) -> str:
    """One of settings.LANGUAGES ("en-gb" -> "en"); the site's language when unknown or missing."""
    try:
        return translation.get_supported_language_variant(language or settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


@transaction.atomic
def donation_create(
    *,
    campaign: Campaign,
    amount_cents: int,
    first_name: str,
    last_name: str,
    email: str,
    method: str = PaymentMethod.CARD,
    donor_type: str = DonorType.INDIVIDUAL,
    company_name: str = "",
    siret: str = "",
    address_line: str = "",
    postal_code: str = "",
    city: str = "",
    country: str = "FR",
    wants_tax_receipt: bool = False,
    is_parent_of_pupil: bool = False,
    counterpart_cents: int = 0,
    public_message: str = "",
    is_anonymous: bool = False,
    language: str | None = None,
) -> Donation:
    """Write the donation row, pending, before any PaymentIntent exists (STYLE.md).

    `language`: the page's (request.LANGUAGE_CODE); the donor's e-mails are written in it.
    """
    if campaign.status != Status.LIVE:
        raise ConflictError(_("Ce projet ne reçoit plus de dons."))
    errors: dict[str, str] = {}
    remaining = campaign.optimum_goal_cents - campaign.raised_cents
    if remaining < MINIMUM_DONATION_CENTS:
        raise ConflictError(_("Ce projet a atteint son objectif : merci !"))
    if not isinstance(amount_cents, int) or amount_cents < MINIMUM_DONATION_CENTS:
        errors["amount"] = _("Le don minimum est de %(minimum)s.") % {"minimum": format_euros(MINIMUM_DONATION_CENTS)}
    elif amount_cents > remaining:
        errors["amount"] = _("Il reste %(remaining)s à collecter pour atteindre l'objectif : votre don ne peut pas dépasser ce montant.") % {
            "remaining": format_euros(remaining)
        }
    if method not in PaymentMethod.values:
        errors["method"] = _("Choisissez la carte bancaire ou le prélèvement SEPA.")
    if donor_type not in DonorType.values:
        errors["donor_type"] = _("Indiquez si vous donnez en tant que particulier ou entreprise.")
    first_name, last_name, email = _clean(first_name, 100), _clean(last_name, 100), _clean(email, 254).lower()
    if not first_name:
        errors["first_name"] = _("Indiquez votre prénom.")
    if not last_name:
        errors["last_name"] = _("Indiquez votre nom.")
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = _("Indiquez une adresse e-mail valide : nous y envoyons la confirmation du don.")
    company_name, siret = _clean(company_name, 200), (siret or "").replace(" ", "")
    if donor_type == DonorType.BUSINESS:
        if not company_name:
            errors["company_name"] = _("Indiquez la raison sociale de l'entreprise.")
        try:
            validate_siret(siret)
        except ValidationError as error:
            errors["siret"] = error.messages[0]
    else:
        company_name, siret = "", ""
    # A parent giving toward their own child's class gets a counterpart: no tax receipt (DESIGN.md).
    wants_tax_receipt = bool(wants_tax_receipt) and not is_parent_of_pupil
    address_line, postal_code, city = _clean(address_line, 250), _clean(postal_code, 10), _clean(city, 120)
    if wants_tax_receipt:
        if not address_line:
            errors["address_line"] = _("Le reçu fiscal porte votre adresse : indiquez-la.")
        if not postal_code:
            errors["postal_code"] = _("Indiquez votre code postal.")
        if not city:
            errors["city"] = _("Indiquez votre commune.")
    counterpart_cents = counterpart_cents or 0
    if not isinstance(counterpart_cents, int) or counterpart_cents < 0 or (isinstance(amount_cents, int) and counterpart_cents > amount_cents):
        errors["counterpart"] = _("La valeur de la contrepartie est comprise entre 0 et le montant du don.")
    if errors:
        raise ApplicationError(_("Le don n'a pas pu être enregistré : vérifiez les champs signalés."), field_errors=errors)
    return Donation.objects.create(
        campaign=campaign,
        amount_cents=amount_cents,
        method=method,
        donor_type=donor_type,
        first_name=first_name,
        last_name=last_name,
        email=email,
        company_name=company_name,
        siret=siret,
        address_line=address_line,
        postal_code=postal_code,
        city=city,
        country=_clean(country, 2).upper() or "FR",
        wants_tax_receipt=wants_tax_receipt,
        is_parent_of_pupil=bool(is_parent_of_pupil),
        counterpart_cents=counterpart_cents,
        public_message=_clean(public_message, 500),
        is_anonymous=bool(is_anonymous),
        language=_donor_language(language),
    )


@dataclass(frozen=True)
class PaymentStart:
    """What the page needs after the server asked Stripe: where to go, and whether 3-D Secure must run first."""

    donation: Donation
    client_secret: str = ""
    requires_action: bool = False
    declined: bool = False
    message: str = ""


def _intent_metadata(donation: Donation) -> dict[str, object]:
    campaign = donation.campaign
    return {
        "donation_id": donation.pk,
        "donation_public_id": donation.public_id,
        "campaign_id": campaign.pk,
        "cooperative_id": campaign.cooperative_id,
        "ad_id": campaign.cooperative.ad_id,
    }


def donation_payment_details_check(*, method: str, card_payment_method: str = "", iban: str = "") -> tuple[str, str]:
    """The payment details as Stripe will get them, (card payment method, compact IBAN); ApplicationError when they cannot be sent.

    Pages call it before counting an attempt against the rate limit: a mistyped IBAN costs nothing.
    """
    if method == PaymentMethod.SEPA_DEBIT:
        try:
            return "", IBAN(iban or "").compact
        except SchwiftyException:
            raise ApplicationError(_("Cet IBAN n'est pas valide."), field_errors={"iban": _("Vérifiez l'IBAN de votre compte.")}) from None
    card_payment_method = (card_payment_method or "").strip()
    if not card_payment_method.startswith(("pm_", "card_", "src_")):
        raise ApplicationError(_("Les données de la carte n'ont pas été transmises : réessayez."), field_errors={"card": _("Saisissez votre carte.")})
    return card_payment_method, ""


def donation_payment_start(*, donation: Donation, card_payment_method: str = "", iban: str = "", ip_address: str = "", user_agent: str = "") -> PaymentStart:
    """Ask Stripe to take the payment of a pending donation, then apply what it said.

    Not one transaction: the Stripe call happens between two short ones, so no
    row stays locked while we wait on the network.
    """
    if donation.status != DonationStatus.PENDING or donation.stripe_payment_intent_id:
        raise ConflictError(_("Ce don a déjà été envoyé au paiement."))
    card_payment_method, iban = donation_payment_details_check(method=donation.method, card_payment_method=card_payment_method, iban=iban)
    metadata = _intent_metadata(donation)
    try:
        if donation.method == PaymentMethod.SEPA_DEBIT:
            attempt = gateway.sepa_payment_create(
                donation_id=donation.pk,
                amount_cents=donation.amount_cents,
                iban=iban,
                name=f"{donation.first_name} {donation.last_name}",
                email=donation.email,
                metadata=metadata,
                ip_address=ip_address,
                user_agent=user_agent,
            )
        else:
            attempt = gateway.card_payment_create(
                donation_id=donation.pk, amount_cents=donation.amount_cents, card_payment_method=card_payment_method, metadata=metadata
            )
    except gateway.GatewayError:
        raise ApplicationError(_("Le paiement n'a pas pu être lancé. Réessayez dans un instant."), status_code=503) from None

    if attempt.declined or attempt.intent is None:
        with transaction.atomic():
            if attempt.declined_payment_intent_id:
                Donation.objects.filter(pk=donation.pk, stripe_payment_intent_id__isnull=True).update(stripe_payment_intent_id=attempt.declined_payment_intent_id)
            donation, _changed = donation_transition(
                donation_id=donation.pk,
                to_status=DonationStatus.FAILED,
                source="payment_page",
                failure_message=attempt.decline_message or "declined",
                failure_code=attempt.decline_code,
            )
        # Stripe's message is English: the donor is told the reason from its code, in the page's language.
        return PaymentStart(donation=donation, declined=True, message=failure_reason(attempt.decline_code, method=donation.method))

    intent = attempt.intent
    donation = donation_apply_payment_intent(intent=intent, source="payment_page", donation_id=donation.pk) or donation
    return PaymentStart(donation=donation, client_secret=intent.client_secret, requires_action=intent.requires_action)


# --------------------------------------------------------------------------- the one transition service


def _move_allowed(current: str, to_status: str) -> bool:
    # A repeated partial refund is a move of its own; any other repeat is a no-op.
    if to_status == current and to_status != DonationStatus.PARTIALLY_REFUNDED:
        return False
    return to_status in DONATION_TRANSITIONS.get(current, set())


def _transition_locked(
    donation: Donation,
    to_status: str,
    *,
    source: str,
    stripe_event_id: str = "",
    actor=None,
    comment: str = "",
    strict: bool = False,
    update_fields: tuple[str, ...] | list[str] = (),
    receipt_sync: bool = True,
) -> bool:
    """Move a donation the caller has locked; False when the move is a repeat or not allowed.

    A move not in DONATION_TRANSITIONS is ignored (a late `processing` after
    `succeeded`), unless `strict`, for a person's action, which gets a 409.
    Saves the status and the caller's `update_fields` in one UPDATE, with the
    history row. `receipt_sync=False`: the caller decides about the receipts sync.
    """
    current = donation.status
    repeatable = to_status == DonationStatus.PARTIALLY_REFUNDED
    if to_status == current and not repeatable:
        return False
    if to_status not in DONATION_TRANSITIONS.get(current, set()):
        if strict:
            raise ConflictError(_("Ce don est « %(status)s » : cette action n'est plus possible.") % {"status": donation.get_status_display()})
        logger.info("donation %s: ignored move %s -> %s (%s %s)", donation.pk, current, to_status, source, stripe_event_id)
        return False
    donation.status = to_status
    _save_with_transition(
        donation,
        fields=("status", "updated_at", *update_fields),
        from_status=current,
        source=source,
        stripe_event_id=stripe_event_id,
        actor=actor,
        comment=comment[:500],
    )
    # Between two unpaid states the sync has nothing to issue nor cancel: no job for it.
    if receipt_sync and not (current in _NEVER_PAID and to_status in _NEVER_PAID):
        _tax_receipt_sync(donation)
    return True


@functools.cache
def _save_with_transition_sql(fields: tuple[str, ...]) -> str:
    """The donation's UPDATE and its history row's INSERT as one PostgreSQL statement."""
    quote = connections[router.db_for_write(Donation)].ops.quote_name
    donation_meta, transition_meta = Donation._meta, DonationTransition._meta
    pk = quote(donation_meta.pk.column)
    assignments = ", ".join(f"{quote(donation_meta.get_field(name).column)} = %s" for name in fields)
    columns = ", ".join(
        quote(transition_meta.get_field(name).column) for name in ("donation", "from_status", "to_status", "source", "stripe_event_id", "actor", "comment", "created_at")
    )
    return (
        f"WITH moved AS (UPDATE {quote(donation_meta.db_table)} SET {assignments} WHERE {pk} = %s RETURNING {pk}) "
        f"INSERT INTO {quote(transition_meta.db_table)} ({columns}) SELECT moved.{pk}, %s, %s, %s, %s, %s, %s, %s FROM moved"
    )


def _save_with_transition(donation: Donation, *, fields: tuple[str, ...], from_status: str, source: str, stripe_event_id: str, actor, comment: str) -> None:
    """Save `fields` of a locked donation and write its history row (DonationTransition).

    On PostgreSQL one statement, written once per set of fields: the webhook's hot
    path pays one round trip and none of the ORM's per-call compiling.
    """
    connection = connections[router.db_for_write(Donation)]
    fields = tuple(dict.fromkeys(fields))
    if connection.vendor != "postgresql":
        donation.save(update_fields=fields)
        DonationTransition.objects.create(
            donation=donation, from_status=from_status, to_status=donation.status, source=source, stripe_event_id=stripe_event_id, actor=actor, comment=comment
        )
        return
    now = timezone.now()
    donation.updated_at = now
    values = [field.get_db_prep_save(getattr(donation, field.attname), connection) for field in map(Donation._meta.get_field, fields)]
    actor_id = actor.pk if actor is not None else None
    with connection.cursor() as cursor:
        cursor.execute(_save_with_transition_sql(fields), [*values, donation.pk, from_status, donation.status, source, stripe_event_id, actor_id, comment, now])


def _lock_donation(donation_id: int) -> Donation:
    # of=("self",): lock the donation only; the campaign row has its own lock, taken later.
    return Donation.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=donation_id)


def _campaign_counters_add(*, campaign_id: int, raised_cents: int, donors: int) -> tuple[str, int, int]:
    """Add to a campaign's raised amount and donors; returns (status, raised_cents, optimum_goal_cents) after the change.

    One UPDATE ... RETURNING: the row lock it takes is the campaign's lock (after
    the donation's, as everywhere), and the status it returns is read under that
    lock, so a campaign failing at this very moment is seen by whichever of the
    two commits last (its refund job, or this donation's dispatch of it).
    PostgreSQL and SQLite (>= 3.35) both speak it; the ORM's update() returns no row.
    """
    connection = connections[router.db_for_write(Campaign)]
    meta = Campaign._meta
    quote = connection.ops.quote_name
    raised, donors_count = quote(meta.get_field("raised_cents").column), quote(meta.get_field("donors_count").column)
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {raised} = {raised} + %s, {donors_count} = {donors_count} + %s "
        f"WHERE {quote(meta.pk.column)} = %s "
        f"RETURNING {quote(meta.get_field('status').column)}, {raised}, {quote(meta.get_field('optimum_goal_cents').column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [raised_cents, donors, campaign_id])
        status, raised_after, optimum = cursor.fetchone()
    return status, raised_after, optimum


def _credit_campaign(donation: Donation) -> str | None:
    """A succeeded donation: ledger entry and the page's counters, in the caller's transaction.

    Returns the campaign's status, read under its row lock; None when the donation was credited already.
    """
    campaign_id = donation.campaign_id
    # The ledger reads only the campaign's id: no row to fetch for it.
    _ledger_tx, created = ledger_record_donation(
        campaign=Campaign(pk=campaign_id), amount_cents=donation.amount_cents, key=f"donation:{donation.pk}:succeeded", reference=f"donation:{donation.pk}"
    )
    if not created:
        return None
    status, raised_cents, optimum_goal_cents = _campaign_counters_add(campaign_id=campaign_id, raised_cents=donation.amount_cents, donors=1)
    _public_cache_bump(campaign_id)
    from . import tasks

    tasks.donation_confirmation_send.delay_on_commit(donation.pk)
    if status in REFUNDING_STATUSES:
        # A SEPA debit that cleared after its campaign failed or was cancelled goes straight back.
        tasks.campaign_refund_all.delay_on_commit(campaign_id)
    elif status == Status.LIVE and raised_cents >= optimum_goal_cents:
        tasks.campaign_end_if_optimum_reached.delay_on_commit(campaign_id)
    return status


def _receipt_due_on_payment(donation: Donation, campaign_status: str | None) -> bool:
    """Whether the receipts sync could issue a receipt for a donation just paid.

    It never had one (_NEVER_PAID), so the sync could only issue one: for a gift
    asked a receipt for, once its campaign has succeeded. While the campaign is
    live (nearly every payment), its success issues the receipts of all its
    donations (tax_receipts_issue_for_campaign); the status was read under the
    campaign's row lock, which that success waits for, so this donation is seen then.
    """
    if not donation.wants_tax_receipt or donation.is_parent_of_pupil:
        return False
    return campaign_status is None or campaign_status in RECEIPT_CAMPAIGN_STATUSES


def _donation_move(
    donation: Donation,
    to_status: str,
    *,
    source: str,
    stripe_event_id: str = "",
    actor=None,
    comment: str = "",
    failure_message: str = "",
    failure_code: str = "",
    strict: bool = False,
    update_fields: tuple[str, ...] | list[str] = (),
) -> bool:
    """The body of donation_transition, for a donation the caller has locked in its own transaction."""
    previous = donation.status
    fields = list(update_fields)
    if _move_allowed(previous, to_status):
        if to_status == DonationStatus.FAILED and failure_message:
            donation.failure_message = failure_message[:500]
            fields.append("failure_message")
        if to_status == DonationStatus.FAILED and failure_code:
            donation.failure_code = failure_code[:60]
            fields.append("failure_code")
        if to_status == DonationStatus.SUCCEEDED and previous in (DonationStatus.PENDING, DonationStatus.PROCESSING, DonationStatus.FAILED):
            donation.succeeded_at = donation.succeeded_at or timezone.now()
            fields.append("succeeded_at")
    just_paid = to_status == DonationStatus.SUCCEEDED and previous in _NEVER_PAID
    if not _transition_locked(
        donation, to_status, source=source, stripe_event_id=stripe_event_id, actor=actor, comment=comment, strict=strict, update_fields=fields, receipt_sync=not just_paid
    ):
        return False
    if to_status == DonationStatus.SUCCEEDED:
        if previous == DonationStatus.DISPUTED:
            _dispute_release(donation)
        else:
            campaign_status = _credit_campaign(donation)
            if just_paid and _receipt_due_on_payment(donation, campaign_status):
                _tax_receipt_sync(donation)
    return True


@transaction.atomic
def donation_transition(
    *,
    donation_id: int,
    to_status: str,
    source: str,
    stripe_event_id: str = "",
    actor=None,
    comment: str = "",
    failure_message: str = "",
    failure_code: str = "",
    strict: bool = False,
) -> tuple[Donation, bool]:
    """THE move of a donation between payment states (refunds and disputes have their own services, which use the same lock)."""
    donation = _lock_donation(donation_id)
    changed = _donation_move(
        donation,
        to_status,
        source=source,
        stripe_event_id=stripe_event_id,
        actor=actor,
        comment=comment,
        failure_message=failure_message,
        failure_code=failure_code,
        strict=strict,
    )
    return donation, changed


# What the transition, the ledger and a dispute's release read and write. A webhook reads the
# donation's state, never the donor nor the campaign (its id only): a third of the columns,
# and no join. A later read of another field would load it lazily.
_DONATION_STATE_FIELDS = (
    "campaign_id",
    "amount_cents",
    "status",
    "refunded_cents",
    "disputed_cents",
    "stripe_payment_intent_id",
    "stripe_charge_id",
    "failure_message",
    "failure_code",
    "succeeded_at",
    "updated_at",
    # Whether a receipts sync is worth a job (_receipt_due_on_payment).
    "wants_tax_receipt",
    "is_parent_of_pupil",
)


@functools.cache
def _donation_state_columns() -> tuple[str, ...]:
    # Model order: Donation.from_db takes the values of the fields it is given in that order.
    wanted = {"id", *_DONATION_STATE_FIELDS}
    return tuple(field.attname for field in Donation._meta.concrete_fields if field.attname in wanted)


@functools.cache
def _lock_donation_by_intent_sql() -> str:
    quote = connections[router.db_for_write(Donation)].ops.quote_name
    meta = Donation._meta
    columns = ", ".join(quote(meta.get_field(attname).column) for attname in _donation_state_columns())
    return f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {quote(meta.get_field('stripe_payment_intent_id').column)} = %s FOR UPDATE"


def _lock_donation_by_intent(intent_id: str) -> Donation | None:
    """The webhook's usual lookup, locked: on PostgreSQL a statement written once, the row read
    straight into a Donation (these columns need no conversion there), without the ORM's compiling."""
    connection = connections[router.db_for_write(Donation)]
    if connection.vendor != "postgresql":
        return Donation.objects.select_for_update().only(*_DONATION_STATE_FIELDS).filter(stripe_payment_intent_id=intent_id).first()
    with connection.cursor() as cursor:
        cursor.execute(_lock_donation_by_intent_sql(), [intent_id])
        row = cursor.fetchone()
    return None if row is None else Donation.from_db(connection.alias, _donation_state_columns(), row)


def _lock_donation_for_intent(intent: gateway.PaymentIntentData, donation_id: int | None) -> Donation | None:
    """The donation an intent is about, locked: one query when the intent's id is saved (the webhook's usual case)."""
    if donation_id is not None:
        return Donation.objects.select_for_update(of=("self",)).select_related("campaign").filter(pk=donation_id).first()
    if intent.id:
        found = _lock_donation_by_intent(intent.id)
        if found is not None:
            return found
    # The row exists before its intent: a crash between Stripe's answer and our save leaves only the metadata.
    # Both ids must match: a database restored or reset against the same Stripe account
    # reuses donation ids, never public ids.
    raw_id, public_id = intent.metadata.get("donation_id", ""), intent.metadata.get("donation_public_id", "")
    if raw_id.isdigit() and public_id:
        try:
            donation = Donation.objects.select_for_update().only(*_DONATION_STATE_FIELDS).filter(pk=int(raw_id), public_id=public_id).first()
        except ValidationError:  # not a UUID: not one of ours
            return None
        # Another intent's donation is not this intent's, whatever its metadata says.
        if donation is not None and donation.stripe_payment_intent_id in (None, intent.id):
            return donation
    return None


def _payment_intent_apply(
    *, intent: gateway.PaymentIntentData, source: str, stripe_event_id: str = "", donation_id: int | None = None, to_status: str | None = None
) -> Donation | None:
    """donation_apply_payment_intent's work, in the caller's transaction (the webhook's, which stores the event too)."""
    donation = _lock_donation_for_intent(intent, donation_id)
    if donation is None:
        logger.info("PaymentIntent %s matches no donation (%s)", intent.id, source)
        return None
    ids_changed: list[str] = []
    if intent.id and donation.stripe_payment_intent_id != intent.id:
        if donation.stripe_payment_intent_id:
            logger.warning("donation %s has intent %s, not %s: ignored", donation.pk, donation.stripe_payment_intent_id, intent.id)
            return donation
        donation.stripe_payment_intent_id = intent.id
        ids_changed.append("stripe_payment_intent_id")
    if intent.charge_id and donation.stripe_charge_id != intent.charge_id:
        donation.stripe_charge_id = intent.charge_id
        ids_changed.append("stripe_charge_id")
    target = to_status or _INTENT_STATUS_MAP.get(intent.status)
    if target is None and intent.status == "requires_payment_method" and (intent.failure_message or intent.charge_id):
        # Back to requires_payment_method after an attempt: the attempt failed (declined card, refused debit).
        target = DonationStatus.FAILED
    if target == DonationStatus.SUCCEEDED and donation.status == DonationStatus.DISPUTED:
        # The PaymentIntent stays "succeeded" through a dispute: a late or retried
        # intent event must not release money the bank still holds. Only the
        # dispute's own outcome may.
        target = None
    # The ids ride along with the status in one UPDATE; saved alone when the state does not move.
    moved = target is not None and _donation_move(
        donation, target, source=source, stripe_event_id=stripe_event_id, failure_message=intent.failure_message, failure_code=intent.failure_code, update_fields=ids_changed
    )
    if ids_changed and not moved:
        donation.save(update_fields=[*ids_changed, "updated_at"])
    return donation


@transaction.atomic
def donation_apply_payment_intent(
    *, intent: gateway.PaymentIntentData, source: str, stripe_event_id: str = "", donation_id: int | None = None, to_status: str | None = None
) -> Donation | None:
    """Apply a PaymentIntent's state to its donation: the webhook, the return page and reconciliation all come here.

    Idempotent and order-tolerant through the one transition. Returns None for an intent that is not one of ours.
    """
    return _payment_intent_apply(intent=intent, source=source, stripe_event_id=stripe_event_id, donation_id=donation_id, to_status=to_status)


# --------------------------------------------------------------------------- refunds


def _pending_refunds_cents(donation: Donation) -> int:
    return donation.refunds.filter(status=RefundStatus.PENDING).aggregate(total=Sum("amount_cents"))["total"] or 0


def donation_refundable_cents(*, donation: Donation) -> int:
    """What may still be refunded: paid, minus refunded, minus refunds on their way."""
    if donation.status not in (DonationStatus.SUCCEEDED, DonationStatus.PARTIALLY_REFUNDED):
        return 0
    return max(0, donation.amount_cents - donation.refunded_cents - _pending_refunds_cents(donation))


@transaction.atomic
def donation_refund(*, actor, donation: Donation, reason: str, amount_cents: int | None = None) -> Refund:
    """An AD treasurer refunds one donation, fully or partly, with a reason. Stripe is called after commit."""
    scope = actor_scope(actor)
    if not scope.is_treasurer_of(donation.campaign.cooperative.ad_id):
        raise PermissionDenied(_("Seul·e le ou la trésorier·e de l'AD peut rembourser un don."))
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Indiquez le motif du remboursement."), field_errors={"reason": _("Le motif est obligatoire.")})
    donation = _lock_donation(donation.pk)
    if donation.status not in (DonationStatus.SUCCEEDED, DonationStatus.PARTIALLY_REFUNDED):
        raise ConflictError(_("Ce don est « %(status)s » : il ne peut pas être remboursé.") % {"status": donation.get_status_display()})
    refundable = donation_refundable_cents(donation=donation)
    if amount_cents is None:
        amount_cents = refundable
    if amount_cents <= 0:
        raise ConflictError(_("Il n'y a plus rien à rembourser sur ce don."))
    if amount_cents > refundable:
        raise ApplicationError(
            _("Le remboursement ne peut pas dépasser %(refundable)s (montant payé moins les remboursements déjà faits).") % {"refundable": format_euros(refundable)},
            field_errors={"amount": _("Au plus %(refundable)s.") % {"refundable": format_euros(refundable)}},
        )
    # Money already paid out to the cooperative is not in the campaign's fund any more:
    # refunding it would drive the fund negative (the cooperative refunds the AD first).
    pending = Refund.objects.filter(donation__campaign_id=donation.campaign_id, status=RefundStatus.PENDING).aggregate(total=Sum("amount_cents"))["total"] or 0
    available = campaign_fund_balance(campaign=donation.campaign) - pending
    if amount_cents > available:
        raise ConflictError(
            _("Le fonds du projet ne contient plus que %(available)s : le reste a déjà été versé à la coopérative, qui doit d'abord le rendre à l'AD.")
            % {"available": format_euros(max(0, available))}
        )
    refund = Refund.objects.create(donation=donation, amount_cents=amount_cents, reason=reason[:300], requested_by=actor)
    from . import tasks

    tasks.refund_process.delay_on_commit(refund.pk)
    return refund


def refund_process(*, refund_id: int) -> Refund:
    """Send one pending refund to Stripe and apply it. Safe to run again after a crash at any point."""
    refund = Refund.objects.select_related("donation").get(pk=refund_id)
    if refund.status != RefundStatus.PENDING:
        return refund
    donation = refund.donation
    if not donation.stripe_payment_intent_id:
        return _refund_attempt_failed(refund_id, "no PaymentIntent for this donation", final=True)
    try:
        # A previous run may have reached Stripe and crashed before saving: find its refund first.
        remote = gateway.refund_find(refund_id=refund.pk, payment_intent_id=donation.stripe_payment_intent_id)
        if remote is None:
            remote = gateway.refund_create(
                refund_id=refund.pk,
                payment_intent_id=donation.stripe_payment_intent_id,
                amount_cents=refund.amount_cents,
                metadata={"donation_id": donation.pk, "campaign_id": donation.campaign_id},
            )
    except gateway.GatewayError as error:
        return _refund_attempt_failed(refund_id, str(error))
    if remote.status in ("failed", "canceled"):
        return _refund_attempt_failed(refund_id, f"Stripe refund {remote.id} is {remote.status}", final=True)
    return _refund_apply(refund_id=refund.pk, stripe_refund_id=remote.id)


@transaction.atomic
def _refund_attempt_failed(refund_id: int, error: str, *, final: bool = False) -> Refund:
    refund = Refund.objects.select_for_update().get(pk=refund_id)
    if refund.status != RefundStatus.PENDING:
        return refund
    refund.attempts += 1
    refund.last_error = error[:500]
    if final or refund.attempts >= REFUND_MAX_ATTEMPTS:
        refund.status = RefundStatus.FAILED
    refund.save()
    logger.warning("refund %s attempt %s failed: %s", refund_id, refund.attempts, error)
    return refund


@transaction.atomic
def _refund_apply(*, refund_id: int, stripe_refund_id: str | None, source: str = "refund", stripe_event_id: str = "") -> Refund:
    """Stripe gave the money back: donation, ledger and campaign counters move together, once."""
    donation_id = Refund.objects.values_list("donation_id", flat=True).get(pk=refund_id)
    donation = _lock_donation(donation_id)
    refund = Refund.objects.select_for_update().get(pk=refund_id)
    if refund.status != RefundStatus.PENDING:
        return refund
    if donation.refunded_cents + refund.amount_cents > donation.amount_cents:
        # Never more than what was paid, checked here under the lock, whatever Stripe accepted.
        refund.status = RefundStatus.FAILED
        refund.last_error = "would exceed the amount paid"
        refund.save()
        logger.error("refund %s would exceed donation %s: refused", refund.pk, donation.pk)
        return refund
    refund.status = RefundStatus.SUCCEEDED
    refund.stripe_refund_id = stripe_refund_id
    refund.completed_at = timezone.now()
    refund.attempts += 1
    refund.save()
    donation.refunded_cents += refund.amount_cents
    fully = donation.refunded_cents >= donation.amount_cents
    target = DonationStatus.REFUNDED if fully else DonationStatus.PARTIALLY_REFUNDED
    _transition_locked(donation, target, source=source, stripe_event_id=stripe_event_id, actor=refund.requested_by, comment=refund.reason)
    donation.save()
    campaign = Campaign.objects.select_for_update().get(pk=donation.campaign_id)
    _tx, created = ledger_record_refund(
        campaign=campaign,
        amount_cents=refund.amount_cents,
        key=f"refund:{refund.pk}",
        reference=f"donation:{donation.pk}",
        memo=refund.reason,
        actor=refund.requested_by,
    )
    if created:
        Campaign.objects.filter(pk=campaign.pk).update(
            raised_cents=F("raised_cents") - refund.amount_cents, donors_count=F("donors_count") - (1 if fully else 0)
        )
        _public_cache_bump(campaign.pk)
        from . import tasks

        tasks.refund_notice_send.delay_on_commit(refund.pk)
    return refund


@transaction.atomic
def _refund_remaining_create(*, donation_id: int, reason: str) -> Refund | None:
    donation = _lock_donation(donation_id)
    refundable = donation_refundable_cents(donation=donation)
    if refundable <= 0:
        return None
    return Refund.objects.create(donation=donation, amount_cents=refundable, reason=reason[:300])


def campaign_refund_all(*, campaign_id: int) -> dict[str, int]:
    """Give every donor of a failed or cancelled campaign their money back. Resumable: run it again after a crash.

    Each donation gets one Refund row (written before Stripe is asked; its id is
    the idempotency key), then every pending refund of the campaign is sent.
    """
    campaign = Campaign.objects.get(pk=campaign_id)
    if campaign.status not in REFUNDING_STATUSES:
        logger.warning("campaign %s is %s: no refunds", campaign_id, campaign.status)
        return {"created": 0, "succeeded": 0, "failed": 0, "pending": 0}
    reason = _("Le projet « %(title)s » n'a pas été financé : votre don vous est remboursé.") % {"title": campaign.title}
    if campaign.status == Status.CANCELLED:
        reason = _("Le projet « %(title)s » a été annulé : votre don vous est remboursé.") % {"title": campaign.title}
    elif campaign.status == Status.REJECTED:
        reason = _("Le projet « %(title)s » n'a finalement pas été validé : votre don vous est remboursé.") % {"title": campaign.title}
    created = 0
    paid_ids = Donation.objects.filter(campaign_id=campaign_id, status__in=(DonationStatus.SUCCEEDED, DonationStatus.PARTIALLY_REFUNDED)).values_list("pk", flat=True)
    for donation_id in list(paid_ids):
        if _refund_remaining_create(donation_id=donation_id, reason=reason) is not None:
            created += 1
    counts = {"created": created, "succeeded": 0, "failed": 0, "pending": 0}
    pending_ids = Refund.objects.filter(donation__campaign_id=campaign_id, status=RefundStatus.PENDING).order_by("pk").values_list("pk", flat=True)
    for refund_id in list(pending_ids):
        refund = refund_process(refund_id=refund_id)
        counts[refund.status] = counts.get(refund.status, 0) + 1
    return counts


@transaction.atomic
def donation_apply_external_refund(*, donation_id: int, refunded_total_cents: int, stripe_event_id: str = "") -> Refund | None:
    """charge.refunded: a refund we did not ask for (made in Stripe's dashboard) is applied like ours.

    Our own refunds, pending or done, are already counted: only the difference is new.
    """
    donation = _lock_donation(donation_id)
    known = donation.refunded_cents + _pending_refunds_cents(donation)
    extra = min(refunded_total_cents - known, donation.amount_cents - donation.refunded_cents)
    if extra <= 0 or donation.status not in (DonationStatus.SUCCEEDED, DonationStatus.PARTIALLY_REFUNDED):
        return None
    refund = Refund.objects.create(donation=donation, amount_cents=extra, reason=_("Remboursement fait depuis Stripe"))
    return _refund_apply(refund_id=refund.pk, stripe_refund_id=None, source="webhook", stripe_event_id=stripe_event_id)


# --------------------------------------------------------------------------- disputes


@transaction.atomic
def donation_dispute_open(*, donation_id: int, dispute_id: str, amount_cents: int, stripe_event_id: str = "") -> Donation:
    """charge.dispute.created: the disputed amount is frozen in the ledger until Stripe decides."""
    donation = _lock_donation(donation_id)
    amount = min(amount_cents, donation.net_cents)
    if amount <= 0 or not _transition_locked(donation, DonationStatus.DISPUTED, source="webhook", stripe_event_id=stripe_event_id, comment=dispute_id):
        return donation
    donation.disputed_cents = amount
    donation.save()
    ledger_record_dispute(campaign=donation.campaign, amount_cents=amount, key=f"dispute:{dispute_id}", reference=f"donation:{donation.pk}")
    return donation


@transaction.atomic
def donation_dispute_close(*, donation_id: int, dispute_id: str, won: bool, stripe_event_id: str = "") -> Donation:
    """charge.dispute.closed: won, the frozen amount returns to the fund; lost, the bank kept it.

    A lost dispute is money given back to the payer: it reads in the ledger and on
    the page as a refund of the disputed amount (the freeze is reversed first).
    """
    donation = _lock_donation(donation_id)
    if donation.status != DonationStatus.DISPUTED:
        return donation
    if won:
        if _transition_locked(donation, DonationStatus.SUCCEEDED, source="webhook", stripe_event_id=stripe_event_id, comment=f"{dispute_id} won"):
            _dispute_release(donation)
        return donation
    amount = donation.disputed_cents
    donation.refunded_cents = min(donation.amount_cents, donation.refunded_cents + amount)
    donation.disputed_cents = 0
    _transition_locked(donation, DonationStatus.REFUNDED, source="webhook", stripe_event_id=stripe_event_id, comment=f"{dispute_id} lost")
    donation.save()
    campaign = Campaign.objects.select_for_update().get(pk=donation.campaign_id)
    for ledger_tx in LedgerTransaction.objects.filter(reference=f"donation:{donation.pk}", kind="dispute", reversed_by__isnull=True):
        ledger_reverse(original=ledger_tx, reason=_("Contestation perdue : la banque a rendu le paiement"))
    _tx, created = ledger_record_refund(
        campaign=campaign, amount_cents=amount, key=f"dispute:{dispute_id}:lost", reference=f"donation:{donation.pk}", memo=_("Contestation perdue")
    )
    if created:
        Campaign.objects.filter(pk=campaign.pk).update(raised_cents=F("raised_cents") - amount, donors_count=F("donors_count") - 1)
        _public_cache_bump(campaign.pk)
    return donation


def _dispute_release(donation: Donation) -> None:
    """A dispute won: the frozen amount returns to the campaign's fund (a reversing transaction)."""
    for ledger_tx in LedgerTransaction.objects.filter(reference=f"donation:{donation.pk}", kind="dispute", reversed_by__isnull=True):
        ledger_reverse(original=ledger_tx, reason=_("Contestation gagnée"))
    donation.disputed_cents = 0
    donation.save()


# --------------------------------------------------------------------------- webhooks


def _donation_for_charge(charge_id: str, payment_intent_id: str) -> Donation | None:
    if payment_intent_id:
        found = Donation.objects.filter(stripe_payment_intent_id=payment_intent_id).first()
        if found is not None:
            return found
    if charge_id:
        return Donation.objects.filter(stripe_charge_id=charge_id).first()
    return None


def _on_payment_intent(event: gateway.WebhookEvent, to_status: str) -> None:
    intent = gateway.payment_intent_from_dict(event.object)
    # Already in stripe_event_process's transaction: no savepoint of its own.
    _payment_intent_apply(intent=intent, source="webhook", stripe_event_id=event.id, to_status=to_status)


def _on_charge_refunded(event: gateway.WebhookEvent) -> None:
    charge = event.object
    donation = _donation_for_charge(charge.get("id", ""), gateway._id_of(charge.get("payment_intent")))
    if donation is None:
        return
    donation_apply_external_refund(donation_id=donation.pk, refunded_total_cents=int(charge.get("amount_refunded") or 0), stripe_event_id=event.id)


def _on_dispute_created(event: gateway.WebhookEvent) -> None:
    dispute = event.object
    donation = _donation_for_charge(gateway._id_of(dispute.get("charge")), gateway._id_of(dispute.get("payment_intent")))
    if donation is None:
        return
    donation_dispute_open(donation_id=donation.pk, dispute_id=dispute.get("id", ""), amount_cents=int(dispute.get("amount") or 0), stripe_event_id=event.id)


def _on_dispute_closed(event: gateway.WebhookEvent) -> None:
    dispute = event.object
    if dispute.get("status") not in ("won", "lost"):
        return  # warning_closed and the like: nothing was frozen for an inquiry
    donation = _donation_for_charge(gateway._id_of(dispute.get("charge")), gateway._id_of(dispute.get("payment_intent")))
    if donation is None:
        return
    donation_dispute_close(donation_id=donation.pk, dispute_id=dispute.get("id", ""), won=dispute.get("status") == "won", stripe_event_id=event.id)


WEBHOOK_HANDLERS = {
    "payment_intent.succeeded": lambda event: _on_payment_intent(event, DonationStatus.SUCCEEDED),
    "payment_intent.processing": lambda event: _on_payment_intent(event, DonationStatus.PROCESSING),
    "payment_intent.payment_failed": lambda event: _on_payment_intent(event, DonationStatus.FAILED),
    "payment_intent.canceled": lambda event: _on_payment_intent(event, DonationStatus.CANCELLED),
    "charge.refunded": _on_charge_refunded,
    "charge.dispute.created": _on_dispute_created,
    "charge.dispute.closed": _on_dispute_closed,
}


_STRIPE_EVENT_COLUMNS = ("stripe_event_id", "type", "payload", "received_at", "processed_at", "error")


@functools.cache
def _stripe_event_insert_sql() -> str:
    quote = connections[router.db_for_write(StripeEvent)].ops.quote_name
    meta = StripeEvent._meta
    columns = ", ".join(quote(meta.get_field(name).column) for name in _STRIPE_EVENT_COLUMNS)
    return (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(_STRIPE_EVENT_COLUMNS))}) "
        f"ON CONFLICT ({quote(meta.get_field('stripe_event_id').column)}) DO NOTHING RETURNING {quote(meta.pk.column)}"
    )


def _stripe_event_insert_if_new(event: gateway.WebhookEvent) -> bool:
    """INSERT ... ON CONFLICT (stripe_event_id) DO NOTHING: True when the event was new, inserted already marked processed.

    A duplicate costs no error, so no rollback: the same transaction goes on to
    read the stored row. A concurrent insert of the same id makes this one wait
    for its outcome: inserted if it rolled back, nothing if it committed.
    PostgreSQL and SQLite (>= 3.35) both speak it.
    """
    connection = connections[router.db_for_write(StripeEvent)]
    now = timezone.now()
    payload = StripeEvent._meta.get_field("payload").get_db_prep_save(event.payload, connection)
    received_at = processed_at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(_stripe_event_insert_sql(), [event.id, event.type, payload, received_at, processed_at, ""])
        return cursor.fetchone() is not None


def stripe_event_process(*, event: gateway.WebhookEvent) -> bool:
    """Store a verified event once and apply it. False for a duplicate (already applied).

    One transaction: the event row is inserted already marked processed, then
    applied; both commit together or not at all, so the mark is never seen
    without the effect. Concurrent deliveries of one event: the first insert
    wins; the others wait on the unique index, insert nothing, and find it
    applied under its row lock. An event stored by an earlier failed attempt
    (stripe_event_record_failure) is applied again under that lock. A failure
    rolls everything back, so Stripe's retry applies it again from scratch.
    """
    handler = WEBHOOK_HANDLERS.get(event.type)
    with transaction.atomic():
        if _stripe_event_insert_if_new(event):
            if handler is not None:
                handler(event)
            return True
        stored = StripeEvent.objects.select_for_update().only("pk", "processed_at").get(stripe_event_id=event.id)
        if stored.processed_at is not None:
            return False
        if handler is not None:
            handler(event)
        stored.processed_at = timezone.now()
        stored.error = ""
        stored.save(update_fields=["processed_at", "error"])
    return True


def stripe_event_record_failure(*, event: gateway.WebhookEvent, error: str) -> None:
    """Keep what went wrong, unprocessed, for the retry and for a person to read."""
    StripeEvent.objects.update_or_create(stripe_event_id=event.id, defaults={"type": event.type, "payload": event.payload, "error": error[:5000]})


# --------------------------------------------------------------------------- reconciliation, campaign end, e-mails


def donations_reconcile(*, now=None, settle_minutes: int = 5, max_age_days: int = 30, abandon_hours: int = 24) -> dict[str, int]:
    """Ask Stripe about donations still pending or processing: a lost webhook loses nothing.

    Applies the same idempotent transition as the webhook. Donations whose
    intent never reached us are found by the metadata of recent intents; a
    pending donation with no intent after `abandon_hours` is cancelled.
    """
    now = now or timezone.now()
    settled = now - timedelta(minutes=settle_minutes)
    oldest = now - timedelta(days=max_age_days)
    counts = {"checked": 0, "changed": 0, "abandoned": 0, "errors": 0}
    open_states = (DonationStatus.PENDING, DonationStatus.PROCESSING)
    with_intent = Donation.objects.filter(status__in=open_states, stripe_payment_intent_id__isnull=False, created_at__lte=settled, created_at__gte=oldest)
    for donation_id, intent_id, status in with_intent.values_list("pk", "stripe_payment_intent_id", "status")[:1000]:
        counts["checked"] += 1
        try:
            intent = gateway.payment_intent_retrieve(intent_id)
        except gateway.GatewayError:
            counts["errors"] += 1
            continue
        donation = donation_apply_payment_intent(intent=intent, source="reconciliation", donation_id=donation_id)
        if donation is not None and donation.status != status:
            counts["changed"] += 1
    orphans = {
        pk: (created_at, str(public_id))
        for pk, created_at, public_id in Donation.objects.filter(
            status=DonationStatus.PENDING, stripe_payment_intent_id__isnull=True, created_at__lte=settled, created_at__gte=oldest
        ).values_list("pk", "created_at", "public_id")[:1000]
    }
    if orphans:
        try:
            intents = gateway.payment_intents_list_recent(since_timestamp=int(min(created for created, _ in orphans.values()).timestamp()) - 60)
        except gateway.GatewayError:
            # Without Stripe's list we cannot tell an abandoned donation from a paid one
            # whose intent id we lost: cancel nothing (a cancelled donation never moves again).
            counts["errors"] += 1
            return counts
        for intent in intents:
            raw_id = intent.metadata.get("donation_id", "")
            # Both ids must match: ids are reused by a database restored against the same Stripe account.
            if raw_id.isdigit() and int(raw_id) in orphans and orphans[int(raw_id)][1] == intent.metadata.get("donation_public_id"):
                counts["checked"] += 1
                donation = donation_apply_payment_intent(intent=intent, source="reconciliation", donation_id=int(raw_id))
                orphans.pop(int(raw_id))
                if donation is not None and donation.status != DonationStatus.PENDING:
                    counts["changed"] += 1
        for donation_id, (created_at, _public_id) in orphans.items():
            if created_at <= now - timedelta(hours=abandon_hours):
                _donation, changed = donation_transition(donation_id=donation_id, to_status=DonationStatus.CANCELLED, source="reconciliation", comment="abandoned")
                counts["abandoned"] += int(changed)
    return counts


def campaign_end_if_optimum_reached(*, campaign_id: int) -> bool:
    """Reaching the optimum goal ends the campaign early (DESIGN.md), through the campaigns work's service."""
    campaign = Campaign.objects.get(pk=campaign_id)
    if campaign.status != Status.LIVE or campaign.raised_cents < campaign.optimum_goal_cents:
        return False
    try:
        from trousse.campaigns.services import campaign_end
    except ImportError:
        logger.warning("campaign %s reached its optimum but campaign_end is not available yet", campaign_id)
        return False
    campaign_end(campaign=campaign)
    return True


def donation_confirmation_email_send(*, donation_id: int) -> bool:
    """Thank the donor once their money arrived; marked sent, so a rerun or the sweep does not thank twice.

    Not under a row lock (an SMTP call can take seconds, and a refund's webhook
    waits for nobody): two runs at the very same moment could both send.
    """
    from .emails import send_donation_confirmation

    donation = Donation.objects.select_related("campaign__cooperative__ad").get(pk=donation_id)
    if donation.confirmation_sent_at is not None or donation.status not in (DonationStatus.SUCCEEDED, DonationStatus.PARTIALLY_REFUNDED):
        return False
    sent = send_donation_confirmation(donation)
    # An erased address is "done" too: nobody is left to write to.
    Donation.objects.filter(pk=donation.pk, confirmation_sent_at__isnull=True).update(confirmation_sent_at=timezone.now())
    return sent


def refund_notice_email_send(*, refund_id: int) -> bool:
    """Tell the donor their money is on its way back, once; marked sent like the thank-you e-mail."""
    from .emails import send_refund_notice

    refund = Refund.objects.select_related("donation__campaign__cooperative__ad").get(pk=refund_id)
    if refund.notice_sent_at is not None or refund.status != RefundStatus.SUCCEEDED:
        return False
    sent = send_refund_notice(refund)
    # An erased address is "done" too: nobody is left to write to.
    Refund.objects.filter(pk=refund.pk, notice_sent_at__isnull=True).update(notice_sent_at=timezone.now())
    return sent
