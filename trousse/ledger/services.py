"""Posting to the ledger: the only writes ledger rows ever see."""

from collections.abc import Sequence

from django.db import IntegrityError, transaction

from trousse.accounts.models import Cooperative, DepartmentalAssociation
from trousse.campaigns.models import Campaign

from .models import AccountKind, LedgerAccount, LedgerEntry, LedgerTransaction, TransactionKind


def ledger_account(kind: str, *, campaign: Campaign | None = None, cooperative: Cooperative | None = None, ad: DepartmentalAssociation | None = None) -> LedgerAccount:
    owner = campaign or cooperative or ad
    code = f"{kind}:{owner.pk}" if owner is not None else kind
    account, _ = LedgerAccount.objects.get_or_create(code=code, defaults={"kind": kind, "campaign": campaign, "cooperative": cooperative, "ad": ad})
    return account


@transaction.atomic
def ledger_post(
    *, kind: str, key: str, reference: str, entries: Sequence[tuple[LedgerAccount, int]], memo: str = "", actor=None, reverses: LedgerTransaction | None = None
) -> tuple[LedgerTransaction, bool]:
    """Post one balanced transaction, once per `key`. Returns (transaction, created).

    A second call with the same key returns the first transaction: the ledger
    itself guards exactly-once, whatever the caller did.
    """
    if sum(amount for _, amount in entries) != 0:
        raise ValueError(f"Ledger transaction {key} does not balance: {entries!r}")
    if any(amount == 0 for _, amount in entries) or len(entries) < 2:
        raise ValueError(f"Ledger transaction {key} needs at least two non-zero entries")
    existing = LedgerTransaction.objects.filter(key=key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            ledger_tx = LedgerTransaction.objects.create(kind=kind, key=key, reference=reference, memo=memo, actor=actor, reverses=reverses)
    except IntegrityError:
        # A concurrent poster won the race on the unique key.
        return LedgerTransaction.objects.get(key=key), False
    LedgerEntry.objects.bulk_create(LedgerEntry(transaction=ledger_tx, account=account, amount_cents=amount) for account, amount in entries)
    return ledger_tx, True


@transaction.atomic
def ledger_reverse(*, original: LedgerTransaction, reason: str, actor=None) -> LedgerTransaction:
    """A correction: the mirror of `original`, never an edit of it."""
    entries = [(entry.account, -entry.amount_cents) for entry in original.entries.select_related("account")]
    reversal, _ = ledger_post(
        kind=TransactionKind.ADJUSTMENT, key=f"reversal:{original.pk}", reference=original.reference, entries=entries, memo=reason, actor=actor, reverses=original
    )
    return reversal


def ledger_record_donation(*, campaign: Campaign, amount_cents: int, key: str, reference: str) -> tuple[LedgerTransaction, bool]:
    """Money paid through Stripe, held in the campaign's fund."""
    return ledger_post(
        kind=TransactionKind.DONATION,
        key=key,
        reference=reference,
        entries=[(ledger_account(AccountKind.STRIPE_CLEARING), -amount_cents), (ledger_account(AccountKind.CAMPAIGN_FUND, campaign=campaign), amount_cents)],
    )


def ledger_record_refund(*, campaign: Campaign, amount_cents: int, key: str, reference: str, memo: str = "", actor=None) -> tuple[LedgerTransaction, bool]:
    """Money given back to a donor, out of the campaign's fund."""
    return ledger_post(
        kind=TransactionKind.REFUND,
        key=key,
        reference=reference,
        memo=memo,
        actor=actor,
        entries=[(ledger_account(AccountKind.CAMPAIGN_FUND, campaign=campaign), -amount_cents), (ledger_account(AccountKind.STRIPE_CLEARING), amount_cents)],
    )


def ledger_record_dispute(*, campaign: Campaign, amount_cents: int, key: str, reference: str) -> tuple[LedgerTransaction, bool]:
    """A disputed payment: its amount is frozen, out of the campaign's fund, until Stripe decides."""
    return ledger_post(
        kind=TransactionKind.DISPUTE,
        key=key,
        reference=reference,
        entries=[(ledger_account(AccountKind.CAMPAIGN_FUND, campaign=campaign), -amount_cents), (ledger_account(AccountKind.DISPUTES), amount_cents)],
    )
