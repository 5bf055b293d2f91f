"""Posting to the ledger (the only writes ledger rows ever see), and the money out:
disbursements to cooperatives, expenses with receipts, refunds to the AD, closing."""

import datetime
import functools
import logging
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connections, router, transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from trousse.accounts.models import Cooperative, DepartmentalAssociation
from trousse.accounts.selectors import actor_scope
from trousse.campaigns.models import ALLOWED_TRANSITIONS, BudgetLine, Campaign, CampaignTransition, Status
from trousse.exceptions import ApplicationError, ConflictError
from trousse.money import format_euros

from . import selectors
from .models import (
    AccountKind,
    BatchStatus,
    DisbursementBatch,
    DisbursementItem,
    Expense,
    ExpensePaymentMethod,
    ExpenseStatus,
    ExpenseTransition,
    FinalReport,
    FinalReportImage,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    TransactionKind,
)
from .uploads import check_receipt_upload, process_picture


def _account_code(kind: str, owner) -> str:
    return f"{kind}:{owner.pk}" if owner is not None else kind


def ledger_account(kind: str, *, campaign: Campaign | None = None, cooperative: Cooperative | None = None, ad: DepartmentalAssociation | None = None) -> LedgerAccount:
    code = _account_code(kind, campaign or cooperative or ad)
    account, _created = LedgerAccount.objects.get_or_create(code=code, defaults={"kind": kind, "campaign": campaign, "cooperative": cooperative, "ad": ad})
    return account


def _ledger_accounts(*wanted: tuple[str, Campaign | None]) -> list[LedgerAccount]:
    """Several accounts (kind, campaign or None) in one query; a missing one is created as ledger_account does.

    A webhook posts to two accounts per donation: one round trip instead of two.
    """
    codes = [_account_code(kind, campaign) for kind, campaign in wanted]
    found = {account.code: account for account in LedgerAccount.objects.filter(code__in=codes)}
    return [found.get(code) or ledger_account(kind, campaign=campaign) for code, (kind, campaign) in zip(codes, wanted)]


def _transaction_insert_if_new(ledger_tx: LedgerTransaction) -> bool:
    """INSERT ... ON CONFLICT (key) DO NOTHING RETURNING id: True and the id set when the key was new.

    The unique key is the exactly-once guard. A plain INSERT of a key that exists
    would abort the caller's transaction (PostgreSQL) unless wrapped in a
    savepoint, two more round trips paid on every posting; a check before the
    insert is one more, and still races. PostgreSQL and SQLite (>= 3.35) both
    speak this statement; a concurrent poster of the same key makes this one
    wait for its outcome, then insert (it rolled back) or do nothing (committed).
    """
    connection = connections[router.db_for_write(LedgerTransaction)]
    meta = LedgerTransaction._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    values = [field.get_db_prep_save(field.pre_save(ledger_tx, True), connection) for field in fields]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({quote(meta.get_field('key').column)}) DO NOTHING RETURNING {quote(meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    ledger_tx.pk = row[0]
    ledger_tx._state.adding = False
    ledger_tx._state.db = connection.alias
    return True


def ledger_post(
    *,
    kind: str,
    key: str,
    reference: str,
    entries: Sequence[tuple[LedgerAccount, int]],
    memo: str = "",
    actor=None,
    reverses: LedgerTransaction | None = None,
    campaign: Campaign | None = None,
) -> tuple[LedgerTransaction, bool]:
    """Post one balanced transaction, once per `key`. Returns (transaction, created).

    A second call with the same key returns the first transaction: the ledger
    itself guards exactly-once, whatever the caller did.
    """
    _check_balanced(kind=kind, key=key, amounts=[amount for _, amount in entries])
    campaign_id = campaign.pk if campaign is not None else None
    if campaign_id is None:
        # Movements on a campaign's fund belong to that campaign (the books export groups by it).
        campaign_ids = {account.campaign_id for account, _ in entries if account.campaign_id}
        if len(campaign_ids) == 1:
            campaign_id = campaign_ids.pop()
    ledger_tx = LedgerTransaction(kind=kind, key=key, reference=reference, memo=memo, actor=actor, reverses=reverses, campaign_id=campaign_id)
    # Joins the caller's transaction without a savepoint (its own when there is none):
    # the transaction row and its entries are written together or not at all.
    with transaction.atomic(savepoint=False):
        if not _transaction_insert_if_new(ledger_tx):
            return LedgerTransaction.objects.get(key=key), False
        LedgerEntry.objects.bulk_create(LedgerEntry(transaction=ledger_tx, account=account, amount_cents=amount) for account, amount in entries)
    return ledger_tx, True


@transaction.atomic
def ledger_reverse(*, original: LedgerTransaction, reason: str, actor=None) -> LedgerTransaction:
    """A correction: the mirror of `original`, never an edit of it."""
    if not (reason or "").strip():
        raise ApplicationError(_("Une correction d'écriture doit être motivée."))
    entries = [(entry.account, -entry.amount_cents) for entry in original.entries.select_related("account")]
    reversal, _created = ledger_post(
        kind=TransactionKind.ADJUSTMENT, key=f"reversal:{original.pk}", reference=original.reference, entries=entries,
        memo=reason,
        actor=actor,
        reverses=original,
        campaign=original.campaign,
    )
    return reversal


_TRANSACTION_KINDS = frozenset(TransactionKind.values)


def _check_balanced(*, kind: str, key: str, amounts: Sequence[int]) -> None:
    if sum(amounts) != 0:
        raise ValueError(f"Ledger transaction {key} does not balance: {amounts!r}")
    if any(amount == 0 for amount in amounts) or len(amounts) < 2:
        raise ValueError(f"Ledger transaction {key} needs at least two non-zero entries")
    if kind not in _TRANSACTION_KINDS:
        raise ValueError(f"Unknown ledger transaction kind {kind!r}")


@functools.cache
def _post_by_codes_sql(entry_count: int) -> str:
    """One statement for a whole posting (PostgreSQL): the transaction, once per key, and its
    entries, each account found by its code in the same statement.

    It answers one row: the new transaction's id (NULL when the key was there already) and
    how many entries went in. An entry whose account does not exist yet goes in no row:
    the caller sees the count short.
    """
    quote = connections[router.db_for_write(LedgerTransaction)].ops.quote_name
    tx_meta, entry_meta, account_meta = LedgerTransaction._meta, LedgerEntry._meta, LedgerAccount._meta

    def column(meta, name: str) -> str:
        return quote(meta.get_field(name).column)

    tx_columns = ", ".join(column(tx_meta, name) for name in ("kind", "key", "reference", "memo", "campaign", "actor", "created_at"))
    entry_columns = ", ".join(column(entry_meta, name) for name in ("transaction", "account", "amount_cents", "created_at"))
    wanted = ", ".join(["(%s, %s::bigint)"] * entry_count)
    return (
        f"WITH tx AS (INSERT INTO {quote(tx_meta.db_table)} ({tx_columns}) VALUES (%s, %s, %s, %s, %s, %s, %s) "
        f"ON CONFLICT ({column(tx_meta, 'key')}) DO NOTHING RETURNING {quote(tx_meta.pk.column)}), "
        f"posted AS (INSERT INTO {quote(entry_meta.db_table)} ({entry_columns}) "
        f"SELECT tx.{quote(tx_meta.pk.column)}, account.{quote(account_meta.pk.column)}, wanted.amount, %s "
        f"FROM tx CROSS JOIN (VALUES {wanted}) AS wanted (code, amount) "
        f"JOIN {quote(account_meta.db_table)} AS account ON account.{column(account_meta, 'code')} = wanted.code RETURNING 1) "
        f"SELECT (SELECT {quote(tx_meta.pk.column)} FROM tx), (SELECT count(*) FROM posted)"
    )


def _ledger_post_to(
    *,
    kind: str,
    key: str,
    reference: str,
    entries: Sequence[tuple[str, Campaign | None, int]],
    memo: str = "",
    actor=None,
) -> tuple[LedgerTransaction, bool]:
    """ledger_post for entries named by account (kind, campaign or None): what every webhook posts.

    On PostgreSQL the transaction and its entries are one statement, which finds the
    accounts by their code itself: a donation's posting costs one round trip, not
    three (accounts, transaction, entries). Same guarantees as ledger_post: balanced,
    once per key, the transaction and its entries together or not at all.
    """
    connection = connections[router.db_for_write(LedgerTransaction)]
    if connection.vendor != "postgresql":
        accounts = _ledger_accounts(*((account_kind, campaign) for account_kind, campaign, _amount in entries))
        return ledger_post(kind=kind, key=key, reference=reference, memo=memo, actor=actor, entries=[(account, amount) for account, (*_, amount) in zip(accounts, entries)])
    _check_balanced(kind=kind, key=key, amounts=[amount for *_, amount in entries])
    # Movements on a campaign's fund belong to that campaign (as ledger_post derives it).
    campaign_ids = {campaign.pk for _kind, campaign, _amount in entries if campaign is not None}
    campaign_id = campaign_ids.pop() if len(campaign_ids) == 1 else None
    ledger_tx = LedgerTransaction(kind=kind, key=key, reference=reference, memo=memo, actor=actor, campaign_id=campaign_id, created_at=timezone.now())
    wanted: list[object] = []
    for account_kind, campaign, amount in entries:
        wanted += [_account_code(account_kind, campaign), amount]
    params = [kind, key, reference, memo, campaign_id, ledger_tx.actor_id, ledger_tx.created_at, ledger_tx.created_at, *wanted]
    # Joins the caller's transaction (its own when there is none), as ledger_post does.
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute(_post_by_codes_sql(len(entries)), params)
            tx_id, posted = cursor.fetchone()
        if tx_id is None:
            return LedgerTransaction.objects.get(key=key), False
        ledger_tx.pk = tx_id
        ledger_tx._state.adding = False
        ledger_tx._state.db = connection.alias
        if posted < len(entries):
            # An account's first posting (a campaign's first donation): create it, then post what the statement could not.
            done = set(LedgerEntry.objects.filter(transaction_id=tx_id).values_list("account__code", flat=True))
            LedgerEntry.objects.bulk_create(
                LedgerEntry(transaction=ledger_tx, account=ledger_account(account_kind, campaign=campaign), amount_cents=amount)
                for account_kind, campaign, amount in entries
                if _account_code(account_kind, campaign) not in done
            )
    return ledger_tx, True


def ledger_record_donation(*, campaign: Campaign, amount_cents: int, key: str, reference: str) -> tuple[LedgerTransaction, bool]:
    """Money paid through Stripe, held in the campaign's fund."""
    return _ledger_post_to(
        kind=TransactionKind.DONATION,
        key=key,
        reference=reference,
        entries=[(AccountKind.STRIPE_CLEARING, None, -amount_cents), (AccountKind.CAMPAIGN_FUND, campaign, amount_cents)],
    )


def ledger_record_refund(*, campaign: Campaign, amount_cents: int, key: str, reference: str, memo: str = "", actor=None) -> tuple[LedgerTransaction, bool]:
    """Money given back to a donor, out of the campaign's fund."""
    return _ledger_post_to(
        kind=TransactionKind.REFUND,
        key=key,
        reference=reference,
        memo=memo,
        actor=actor,
        entries=[(AccountKind.CAMPAIGN_FUND, campaign, -amount_cents), (AccountKind.STRIPE_CLEARING, None, amount_cents)],
    )


def ledger_record_dispute(*, campaign: Campaign, amount_cents: int, key: str, reference: str) -> tuple[LedgerTransaction, bool]:
    """A disputed payment: its amount is frozen, out of the campaign's fund, until Stripe decides."""
    return _ledger_post_to(
        kind=TransactionKind.DISPUTE,
        key=key,
        reference=reference,
        entries=[(AccountKind.CAMPAIGN_FUND, campaign, -amount_cents), (AccountKind.DISPUTES, None, amount_cents)],
    )


# ---------------------------------------------------------------------------
# Money out
# ---------------------------------------------------------------------------

logger = logging.getLogger(__name__)


def _campaign_transition(*, campaign: Campaign, to_status: str, actor=None, comment: str = "") -> Campaign:
    """Through campaigns' one transition function; a minimal stand-in until it is merged."""
    try:
        from trousse.campaigns.services import campaign_transition
    except ImportError:
        campaign_transition = None
    if campaign_transition is not None:
        return campaign_transition(campaign=campaign, to_status=to_status, actor=actor, comment=comment)
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if to_status not in ALLOWED_TRANSITIONS[locked.status]:
        raise ConflictError(_("Ce projet ne peut pas passer de « %(from)s » à « %(to)s ».") % {"from": locked.get_status_display(), "to": Status(to_status).label})
    CampaignTransition.objects.create(campaign=locked, actor=actor, from_status=locked.status, to_status=to_status, comment=comment)
    locked.status = to_status
    locked.save(update_fields=["status", "updated_at"])
    _public_cache_bump_on_commit(locked.pk)
    return locked


def _public_cache_bump_on_commit(campaign_id: int) -> None:
    """The public page shows spending and the report: drop its cached copy once committed."""
    try:
        from trousse.campaigns.cache import public_cache_bump
    except ImportError:
        return
    transaction.on_commit(lambda: public_cache_bump(campaign_id))


def _render_markdown(text: str) -> str:
    try:
        from trousse.campaigns.markdown import render_markdown
    except ImportError:
        import nh3
        from markdown_it import MarkdownIt

        return nh3.clean(MarkdownIt("commonmark", {"html": False}).render(text))
    return render_markdown(text)


def _lock_campaign(campaign: Campaign) -> Campaign:
    """Serialises every movement of one campaign's money (two treasurers, two tabs, a retry)."""
    return Campaign.objects.select_related("cooperative__ad").select_for_update(of=("self",)).get(pk=campaign.pk)


# --- disbursements ------------------------------------------------------------


@dataclass(frozen=True)
class DisbursementRequest:
    campaign: Campaign
    amount_cents: int


def _sepa_text(text: str, limit: int) -> str:
    # The SEPA character set is Latin letters, digits and a few signs; sepaxml transliterates accents.
    return " ".join(text.split())[:limit]


def _batch_message_id(batch: DisbursementBatch) -> str:
    """The pain.001 MsgId, also the batch's name on the pages: its creation time in Paris, 24-hour clock, and a random part.

    Banks refuse a second file with the same MsgId; the random part keeps ids unique even for
    two batches made in the same second (35 characters at most, letters, digits and hyphens).
    """
    return f"{timezone.localtime(batch.created_at):%Y%m%d%H%M%S}-{uuid.uuid4().hex[:12]}"


def _sepa_transfer(config: dict, *, message_id: str):
    from sepaxml import SepaTransfer

    class Transfer(SepaTransfer):
        # sepaxml (2.7) has no parameter for the MsgId and makes its own with a 12-hour clock
        # (strftime %I: a batch made at 13:58 read "…015844"). It writes the header from
        # `self.msg_id` while it is being built, so ours is set just before.
        def _create_header(self):
            self.msg_id = message_id
            super()._create_header()

    return Transfer(config, schema="pain.001.001.03", clean=True)


def _build_pain001(*, batch: DisbursementBatch, items: list[DisbursementItem]) -> tuple[str, str]:
    """The pain.001.001.03 file for the AD's bank, validated against the official XSD. Returns (xml, message id)."""
    from schwifty import IBAN

    config = {"name": _sepa_text(batch.ad.name, 70), "IBAN": batch.debtor_iban, "BIC": batch.debtor_bic, "batch": True, "currency": "EUR"}
    message_id = _batch_message_id(batch)
    sepa = _sepa_transfer(config, message_id=message_id)
    for item in items:
        payment = {
            "name": _sepa_text(item.cooperative.name, 70),
            "IBAN": item.creditor_iban,
            "amount": int(item.amount_cents),
            "execution_date": batch.execution_date,
            "description": _sepa_text(f"La Trousse {item.campaign.slug} {item.campaign.title}", 140),
            "endtoend_id": item.end_to_end_id,
        }
        bic = IBAN(item.creditor_iban).bic
        if bic is not None:
            payment["BIC"] = str(bic)
        sepa.add_payment(payment)
    xml = sepa.export(validate=False, pretty_print=True)
    xml = xml.decode("utf-8") if isinstance(xml, bytes) else xml
    if f"<MsgId>{message_id}</MsgId>" not in xml:
        # The page names the batch by its MsgId: the file must carry the same one (a sepaxml upgrade could change the hook).
        raise RuntimeError(f"pain.001 for batch {batch.pk} does not carry the message id {message_id}")
    # A file the bank would reject must never be offered for download.
    errors = list(_pain001_schema().iter_errors(xml))
    if errors:
        logger.error("pain.001 for batch %s does not validate: %s", batch.pk, errors[0])
        raise ApplicationError(_("Le fichier de virements n'a pas pu être produit (données bancaires invalides) : %(error)s") % {"error": errors[0].reason})
    return xml, message_id


@functools.cache
def _pain001_schema():
    """The official XSD shipped inside sepaxml, parsed once per process (it takes a moment)."""
    import pathlib

    import sepaxml
    import xmlschema

    return xmlschema.XMLSchema(str(pathlib.Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd"))


@transaction.atomic
def disbursement_batch_create(
    *, actor, ad: DepartmentalAssociation, requests: list[DisbursementRequest], execution_date: datetime.date | None = None
) -> DisbursementBatch:
    """A batch of SEPA transfers, one per campaign, each at most what its fund holds."""
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    if not selectors.can_disburse(actor, ad):
        raise PermissionDenied(_("Seul·e le·la trésorier·e de l'AD prépare les versements."))
    if not requests:
        raise ApplicationError(_("Choisissez au moins un projet à verser."))
    if not ad.iban or not ad.bic:
        raise ApplicationError(_("Renseignez l'IBAN et le BIC de l'AD avant de préparer un versement."))
    execution_date = execution_date or timezone.localdate()
    if execution_date < timezone.localdate():
        raise ApplicationError(_("La date d'exécution ne peut pas être passée."), field_errors={"execution_date": _("Date passée.")})
    campaign_ids = [request.campaign.pk for request in requests]
    if len(set(campaign_ids)) != len(campaign_ids):
        raise ApplicationError(_("Un même projet ne peut figurer qu'une fois dans un lot."))
    # Locks in id order, so that two batches created at once never deadlock.
    locked = {c.pk: c for c in Campaign.objects.select_related("cooperative__ad").select_for_update(of=("self",)).filter(pk__in=sorted(campaign_ids)).order_by("pk")}
    money = selectors.campaigns_money(campaigns=list(locked.values()))
    batch = DisbursementBatch.objects.create(
        ad=ad, execution_date=execution_date, message_id=uuid.uuid4().hex[:35], total_cents=0, sepa_xml="", debtor_iban=ad.iban, debtor_bic=ad.bic, created_by=actor
    )
    items = []
    for request in requests:
        campaign = locked.get(request.campaign.pk)
        if campaign is None or campaign.cooperative.ad_id != ad.pk:
            raise ApplicationError(_("Ce projet ne dépend pas de votre AD."))
        if campaign.status not in selectors.DISBURSABLE_STATUSES:
            raise ConflictError(_("« %(title)s » n'a pas réussi sa collecte : rien à verser.") % {"title": campaign.title})
        figures = money[campaign.pk]
        if figures.reserved_cents:
            raise ConflictError(_("« %(title)s » est déjà dans un lot en attente d'exécution.") % {"title": campaign.title})
        amount = int(request.amount_cents)
        if amount <= 0:
            raise ApplicationError(_("Le montant à verser doit être positif."))
        if amount > figures.fund_cents:
            raise ApplicationError(
                _("« %(title)s » : %(amount)s demandés, mais le fonds du projet ne contient que %(balance)s.")
                % {"title": campaign.title, "amount": format_euros(amount), "balance": format_euros(figures.fund_cents)}
            )
        try:
            IBAN(campaign.cooperative.iban)
        except SchwiftyException as error:
            raise ApplicationError(_("L'IBAN de la coopérative « %(name)s » est invalide.") % {"name": campaign.cooperative.name}) from error
        items.append(
            DisbursementItem(
                batch=batch,
                campaign=campaign,
                cooperative=campaign.cooperative,
                amount_cents=amount,
                creditor_iban=campaign.cooperative.iban.replace(" ", ""),
                end_to_end_id=f"TROUSSE-{campaign.pk}-{uuid.uuid4().hex[:12]}",
            )
        )
    try:
        with transaction.atomic():
            DisbursementItem.objects.bulk_create(items)
    except IntegrityError as error:
        raise ConflictError(_("Un de ces projets est déjà dans un lot en attente d'exécution.")) from error
    xml, message_id = _build_pain001(batch=batch, items=items)
    batch.sepa_xml = xml
    batch.message_id = message_id[:35]
    batch.total_cents = sum(item.amount_cents for item in items)
    batch.save(update_fields=["sepa_xml", "message_id", "total_cents"])
    return batch


def _lock_batch(batch: DisbursementBatch) -> DisbursementBatch:
    return DisbursementBatch.objects.select_related("ad").select_for_update(of=("self",)).get(pk=batch.pk)


@transaction.atomic
def disbursement_batch_execute(*, actor, batch: DisbursementBatch) -> DisbursementBatch:
    """The bank executed the transfers: post them, and mark fully paid campaigns as funded."""
    batch = _lock_batch(batch)
    if not selectors.can_disburse(actor, batch.ad):
        raise PermissionDenied(_("Seul·e le·la trésorier·e de l'AD confirme les versements."))
    if batch.status != BatchStatus.PREPARED:
        raise ConflictError(_("Ce lot est déjà à l'état « %(status)s ».") % {"status": batch.get_status_display()})
    items = list(batch.items.select_related("campaign", "cooperative").order_by("campaign_id"))
    for item in items:
        campaign = _lock_campaign(item.campaign)
        balance = selectors.campaign_fund_balance(campaign=campaign)
        if item.amount_cents > balance:
            # A refund or a dispute took money out after the batch was prepared.
            raise ConflictError(
                _("« %(title)s » : le fonds ne contient plus que %(balance)s ; annulez ce lot et préparez-en un autre.")
                % {"title": campaign.title, "balance": format_euros(balance)}
            )
        ledger_post(
            kind=TransactionKind.DISBURSEMENT,
            key=f"disbursement:{item.pk}",
            reference=f"disbursement_batch:{batch.pk}",
            memo=_("Versement à %(cooperative)s (%(campaign)s)") % {"cooperative": item.cooperative.name, "campaign": campaign.title},
            actor=actor,
            campaign=campaign,
            entries=[
                (ledger_account(AccountKind.CAMPAIGN_FUND, campaign=campaign), -item.amount_cents),
                (ledger_account(AccountKind.COOPERATIVE, cooperative=item.cooperative), item.amount_cents),
            ],
        )
        if campaign.status == Status.SUCCEEDED and balance - item.amount_cents == 0:
            _campaign_transition(campaign=campaign, to_status=Status.FUNDED, actor=actor, comment=_("Fonds versés à la coopérative (lot %(id)s).") % {"id": batch.pk})
        _public_cache_bump_on_commit(campaign.pk)
    batch.items.update(status=BatchStatus.EXECUTED)
    batch.status = BatchStatus.EXECUTED
    batch.executed_by = actor
    batch.executed_at = timezone.now()
    batch.save(update_fields=["status", "executed_by", "executed_at"])
    return batch


@transaction.atomic
def disbursement_batch_cancel(*, actor, batch: DisbursementBatch) -> DisbursementBatch:
    """Before the bank executed it: the campaigns are free for another batch."""
    batch = _lock_batch(batch)
    if not selectors.can_disburse(actor, batch.ad):
        raise PermissionDenied(_("Seul·e le·la trésorier·e de l'AD annule un lot."))
    if batch.status != BatchStatus.PREPARED:
        raise ConflictError(_("Ce lot est déjà à l'état « %(status)s » : il ne peut plus être annulé.") % {"status": batch.get_status_display()})
    batch.items.update(status=BatchStatus.CANCELLED)
    batch.status = BatchStatus.CANCELLED
    batch.cancelled_by = actor
    batch.cancelled_at = timezone.now()
    batch.save(update_fields=["status", "cancelled_by", "cancelled_at"])
    return batch


# --- expenses -----------------------------------------------------------------


def _require_bookkeeper(actor, campaign: Campaign) -> None:
    if not selectors.can_view_books(actor, campaign):
        raise Http404(_("Projet introuvable."))
    if not selectors.can_keep_books(actor, campaign.cooperative):
        raise PermissionDenied(_("Seul·e le·la mandataire de la coopérative tient ses comptes."))


def _record_expense_transition(expense: Expense, *, actor, to_status: str, comment: str = "", without_receipt: bool = False) -> None:
    ExpenseTransition.objects.create(
        expense=expense, actor=actor, from_status=expense.status, to_status=to_status, comment=comment[:500], without_receipt=without_receipt
    )
    expense.status = to_status


def _lock_expense(expense: Expense) -> Expense:
    return Expense.objects.select_related("campaign__cooperative__ad", "cooperative__ad", "budget_line").select_for_update(of=("self",)).get(pk=expense.pk)


def _check_expense_fields(*, campaign: Campaign, budget_line: BudgetLine, date: datetime.date, supplier: str, amount_cents: int, payment_method: str) -> None:
    errors = {}
    if budget_line.campaign_id != campaign.pk:
        errors["budget_line"] = _("Cette ligne de budget n'est pas celle de ce projet.")
    if date > timezone.localdate():
        errors["date"] = _("Une dépense ne peut pas être datée dans le futur.")
    if not (supplier or "").strip():
        errors["supplier"] = _("Indiquez le fournisseur.")
    if int(amount_cents) <= 0:
        errors["amount"] = _("Le montant doit être positif.")
    if payment_method not in ExpensePaymentMethod.values:
        errors["payment_method"] = _("Moyen de paiement inconnu.")
    if len(errors) == 1:
        # One mistake: its own sentence is the message, so a page shows it once, next to its field.
        message = next(iter(errors.values()))
        raise ApplicationError(message, field_errors=errors)
    if errors:
        raise ApplicationError(_("La dépense n'est pas valide : plusieurs champs sont à corriger."), field_errors=errors)


def _save_receipt(expense: Expense, upload) -> None:
    """Checks first, then stores: a refused file leaves nothing behind; a failed transaction removes the stored one."""
    checked = check_receipt_upload(upload)
    old_name = expense.receipt.name if expense.receipt else ""
    expense.receipt.save(checked.content.name, checked.content, save=False)
    expense.receipt_kind = checked.kind
    expense.receipt_original_name = checked.original_name
    new_name, storage = expense.receipt.name, expense.receipt.storage
    transaction.on_commit(lambda: old_name and storage.delete(old_name))
    _delete_on_rollback(storage, new_name)


def _delete_on_rollback(storage, name: str) -> None:
    """Files are not transactional: remember the stored file; `_with_file_cleanup` removes it if the service fails."""
    pending = getattr(_pending_files, "items", None)
    if pending is not None:
        pending.append((storage, name))


_pending_files = threading.local()


def _with_file_cleanup(function):
    """Wraps a service that stores files: on any exception the files it stored are deleted."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        outer = getattr(_pending_files, "items", None)
        _pending_files.items = []
        try:
            return function(*args, **kwargs)
        except BaseException:
            for storage, name in _pending_files.items:
                try:
                    storage.delete(name)
                except Exception:  # cleanup must not hide the real error
                    logger.exception("could not delete %s after a failed upload", name)
            raise
        finally:
            _pending_files.items = outer

    return wrapper


@_with_file_cleanup
@transaction.atomic
def expense_create(
    *,
    actor,
    campaign: Campaign,
    budget_line: BudgetLine,
    date: datetime.date,
    supplier: str,
    amount_cents: int,
    payment_method: str,
    description: str = "",
    receipt=None,
    submit: bool = False,
) -> Expense:
    """A draft expense recorded by the mandataire, with its receipt when there is one.

    `submit`: sent for approval at once, in the same transaction: when the submission
    is refused (more than the money received), nothing is saved, the receipt file
    included, so the mandataire's corrected retry does not leave a duplicate draft.
    """
    _require_bookkeeper(actor, campaign)
    if campaign.status not in selectors.SPENDING_STATUSES:
        raise ConflictError(_("Les dépenses se saisissent une fois la collecte réussie, jusqu'à la clôture du projet."))
    _check_expense_fields(campaign=campaign, budget_line=budget_line, date=date, supplier=supplier, amount_cents=amount_cents, payment_method=payment_method)
    expense = Expense(
        cooperative=campaign.cooperative,
        campaign=campaign,
        budget_line=budget_line,
        date=date,
        supplier=supplier.strip(),
        amount_cents=int(amount_cents),
        payment_method=payment_method,
        description=(description or "").strip(),
        created_by=actor,
    )
    if receipt is not None:
        _save_receipt(expense, receipt)
    expense.save()
    if submit:
        expense = expense_submit(actor=actor, expense=expense)
    return expense


EDITABLE_EXPENSE_FIELDS = {"budget_line", "date", "supplier", "amount_cents", "payment_method", "description"}


@_with_file_cleanup
@transaction.atomic
def expense_update(*, actor, expense: Expense, receipt=None, **fields) -> Expense:
    """Drafts and expenses sent back as incomplete can be corrected; the others are settled."""
    expense = _lock_expense(expense)
    _require_bookkeeper(actor, expense.campaign)
    unknown = set(fields) - EDITABLE_EXPENSE_FIELDS
    if unknown:
        raise ApplicationError(_("Champs non modifiables : %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    if expense.status not in (ExpenseStatus.DRAFT, ExpenseStatus.INCOMPLETE):
        raise ConflictError(_("Cette dépense ne se modifie plus : elle est à l'état « %(status)s ».") % {"status": expense.get_status_display()})
    for name, value in fields.items():
        setattr(expense, name, value)
    _check_expense_fields(
        campaign=expense.campaign,
        budget_line=expense.budget_line,
        date=expense.date,
        supplier=expense.supplier,
        amount_cents=expense.amount_cents,
        payment_method=expense.payment_method,
    )
    if receipt is not None:
        _save_receipt(expense, receipt)
    expense.save()
    return expense


@_with_file_cleanup
@transaction.atomic
def expense_receipt_attach(*, actor, expense: Expense, upload) -> Expense:
    """Adds or replaces the receipt; allowed until the expense is reconciled (a receipt often comes late)."""
    expense = _lock_expense(expense)
    _require_bookkeeper(actor, expense.campaign)
    if expense.status == ExpenseStatus.REJECTED or expense.is_reconciled:
        raise ConflictError(_("Le justificatif de cette dépense ne peut plus être changé."))
    _save_receipt(expense, upload)
    expense.save()
    return expense


def _check_within_disbursed(*, campaign: Campaign, expense: Expense, include_committed: bool) -> None:
    """Spending more than the cooperative received for the project is refused (overspending a line is not)."""
    money = selectors.campaign_money(campaign=campaign)
    already = money.spent_cents + money.refunded_to_ad_cents
    if include_committed:
        already += money.committed_cents
        if expense.status in (ExpenseStatus.SUBMITTED, ExpenseStatus.APPROVED):
            already -= expense.amount_cents
    if already + expense.amount_cents > money.disbursed_cents:
        raise ApplicationError(
            _("Cette dépense de %(amount)s dépasserait l'argent versé à la coopérative pour ce projet (%(disbursed)s versés, %(left)s encore disponibles).")
            % {"amount": format_euros(expense.amount_cents), "disbursed": format_euros(money.disbursed_cents), "left": format_euros(max(0, money.disbursed_cents - already))}
        )


@transaction.atomic
def expense_submit(*, actor, expense: Expense) -> Expense:
    expense = _lock_expense(expense)
    _require_bookkeeper(actor, expense.campaign)
    if expense.status not in (ExpenseStatus.DRAFT, ExpenseStatus.INCOMPLETE):
        raise ConflictError(_("Cette dépense est déjà à l'état « %(status)s ».") % {"status": expense.get_status_display()})
    _lock_campaign(expense.campaign)
    _check_within_disbursed(campaign=expense.campaign, expense=expense, include_committed=True)
    _record_expense_transition(expense, actor=actor, to_status=ExpenseStatus.SUBMITTED)
    expense.submitted_by = actor
    expense.submitted_at = timezone.now()
    expense.save(update_fields=["status", "submitted_by", "submitted_at", "updated_at"])
    return expense


def _lock_for_review(*, actor, expense: Expense) -> Expense:
    """The expense, locked, once the actor may decide on it and there is something to decide."""
    expense = _lock_expense(expense)
    if not selectors.can_view_books(actor, expense.campaign):
        raise Http404(_("Projet introuvable."))
    if expense.submitted_by_id == getattr(actor, "pk", None):
        raise PermissionDenied(_("Une dépense est approuvée par une autre personne que celle qui l'a soumise."))
    if not selectors.can_review_expense(actor, expense):
        raise PermissionDenied(_("Seul·e le·la trésorier·e de l'AD ou un·e autre mandataire de la coopérative approuve les dépenses."))
    if expense.status != ExpenseStatus.SUBMITTED:
        raise ConflictError(_("Cette dépense est à l'état « %(status)s » : il n'y a rien à décider.") % {"status": expense.get_status_display()})
    return expense


def _decide(*, actor, expense: Expense, to_status: str, comment: str, without_receipt: bool = False) -> Expense:
    _record_expense_transition(expense, actor=actor, to_status=to_status, comment=comment, without_receipt=without_receipt)
    expense.review_comment = comment[:500]
    if to_status == ExpenseStatus.APPROVED:
        expense.approved_by = actor
        expense.approved_at = timezone.now()
    expense.save()
    return expense


def _review(*, actor, expense: Expense, to_status: str, comment: str) -> Expense:
    expense = _lock_for_review(actor=actor, expense=expense)
    return _decide(actor=actor, expense=expense, to_status=to_status, comment=comment)


@transaction.atomic
def expense_approve(*, actor, expense: Expense, comment: str = "", without_receipt_confirmed: bool = False) -> Expense:
    """Approves a submitted expense; one without its receipt only when the reviewer confirms it (page and API alike).

    The receipt is read under the row lock: one attached meanwhile makes the confirmation unnecessary.
    """
    expense = _lock_for_review(actor=actor, expense=expense)
    without_receipt = not expense.receipt
    if without_receipt and not without_receipt_confirmed:
        message = _("Cette dépense n'a pas de justificatif : cochez « Approuver sans justificatif » pour l'approuver quand même, ou demandez un complément.")
        raise ApplicationError(message, field_errors={"without_receipt": message})
    return _decide(actor=actor, expense=expense, to_status=ExpenseStatus.APPROVED, comment=comment, without_receipt=without_receipt)


@transaction.atomic
def expense_reject(*, actor, expense: Expense, reason: str) -> Expense:
    if not (reason or "").strip():
        raise ApplicationError(_("Dites pourquoi la dépense est refusée."), field_errors={"reason": _("Motif obligatoire.")})
    return _review(actor=actor, expense=expense, to_status=ExpenseStatus.REJECTED, comment=reason.strip())


@transaction.atomic
def expense_mark_incomplete(*, actor, expense: Expense, comment: str) -> Expense:
    if not (comment or "").strip():
        raise ApplicationError(_("Dites ce qu'il manque à la dépense."), field_errors={"comment": _("Commentaire obligatoire.")})
    return _review(actor=actor, expense=expense, to_status=ExpenseStatus.INCOMPLETE, comment=comment.strip())


@transaction.atomic
def expense_pay(*, actor, expense: Expense) -> Expense:
    """The supplier was paid: cooperative -> suppliers in the ledger, once."""
    expense = _lock_expense(expense)
    campaign = expense.campaign
    if not selectors.can_view_books(actor, campaign):
        raise Http404(_("Projet introuvable."))
    scope = actor_scope(actor)
    if not (scope.is_mandataire_of(expense.cooperative_id) or scope.is_treasurer_of(expense.cooperative.ad_id)):
        raise PermissionDenied(_("Seul·e le·la mandataire de la coopérative enregistre le paiement."))
    if expense.status != ExpenseStatus.APPROVED:
        raise ConflictError(_("Seule une dépense approuvée peut être payée (état : %(status)s).") % {"status": expense.get_status_display()})
    _lock_campaign(campaign)
    _check_within_disbursed(campaign=campaign, expense=expense, include_committed=False)
    ledger_post(
        kind=TransactionKind.EXPENSE,
        key=f"expense:{expense.pk}:paid",
        reference=f"expense:{expense.pk}",
        memo=f"{expense.supplier} – {expense.budget_line.label}"[:300],
        actor=actor,
        campaign=campaign,
        entries=[
            (ledger_account(AccountKind.COOPERATIVE, cooperative=expense.cooperative), -expense.amount_cents),
            (ledger_account(AccountKind.SUPPLIERS), expense.amount_cents),
        ],
    )
    _record_expense_transition(expense, actor=actor, to_status=ExpenseStatus.PAID)
    expense.paid_by = actor
    expense.paid_at = timezone.now()
    expense.save(update_fields=["status", "paid_by", "paid_at", "updated_at"])
    _public_cache_bump_on_commit(campaign.pk)
    return expense


@transaction.atomic
def expense_reconcile(*, actor, expense: Expense, statement_date: datetime.date, statement_label: str) -> Expense:
    """Matches a paid expense with its line on the cooperative's bank statement."""
    expense = _lock_expense(expense)
    _require_bookkeeper(actor, expense.campaign)
    if expense.status != ExpenseStatus.PAID:
        raise ConflictError(_("Seule une dépense payée se rapproche du relevé bancaire."))
    if not (statement_label or "").strip():
        raise ApplicationError(_("Recopiez le libellé de la ligne du relevé."), field_errors={"statement_label": _("Libellé obligatoire.")})
    if statement_date < expense.date:
        raise ApplicationError(_("La ligne du relevé ne peut pas précéder la dépense."), field_errors={"statement_date": _("Date antérieure à la dépense.")})
    expense.bank_statement_date = statement_date
    expense.bank_statement_label = statement_label.strip()[:200]
    expense.reconciled_at = timezone.now()
    expense.reconciled_by = actor
    expense.save(update_fields=["bank_statement_date", "bank_statement_label", "reconciled_at", "reconciled_by", "updated_at"])
    return expense


# --- refunds to the AD and closing ----------------------------------------------


@transaction.atomic
def campaign_refund_to_ad(*, actor, campaign: Campaign, amount_cents: int, reason: str) -> LedgerTransaction:
    """Unspent money the cooperative gives back to its AD: an adjustment, documented by its reason."""
    campaign = _lock_campaign(campaign)
    _require_bookkeeper(actor, campaign)
    if not (reason or "").strip():
        raise ApplicationError(_("Expliquez ce remboursement (ex. « reliquat non dépensé, virement du 12/06 »)."), field_errors={"reason": _("Motif obligatoire.")})
    amount_cents = int(amount_cents)
    money = selectors.campaign_money(campaign=campaign)
    if amount_cents <= 0:
        raise ApplicationError(_("Le montant doit être positif."), field_errors={"amount": _("Montant positif attendu.")})
    if amount_cents > money.available_to_spend_cents:
        raise ApplicationError(
            _("La coopérative ne détient que %(left)s non dépensés pour ce projet.") % {"left": format_euros(max(0, money.available_to_spend_cents))},
            field_errors={"amount": _("Montant trop élevé.")},
        )
    count = LedgerTransaction.objects.filter(kind=TransactionKind.ADJUSTMENT, campaign=campaign, key__startswith=f"ad_refund:{campaign.pk}:").count()
    ledger_tx, _created = ledger_post(
        kind=TransactionKind.ADJUSTMENT,
        key=f"ad_refund:{campaign.pk}:{count + 1}",
        reference=f"campaign:{campaign.pk}",
        memo=reason.strip()[:300],
        actor=actor,
        campaign=campaign,
        entries=[
            (ledger_account(AccountKind.COOPERATIVE, cooperative=campaign.cooperative), -amount_cents),
            (ledger_account(AccountKind.AD, ad=campaign.cooperative.ad), amount_cents),
        ],
    )
    return ledger_tx


@_with_file_cleanup
@transaction.atomic
def final_report_save(*, actor, campaign: Campaign, body: str, publish: bool = False) -> FinalReport:
    """The teacher writes (and publishes) what the class did with the money."""
    campaign = _lock_campaign(campaign)
    if not selectors.can_view_books(actor, campaign):
        raise Http404(_("Projet introuvable."))
    if not selectors.can_write_final_report(actor, campaign):
        raise PermissionDenied(_("Le bilan est rédigé par l'enseignant·e du projet."))
    if campaign.status not in (Status.SUCCEEDED, Status.FUNDED):
        raise ConflictError(_("Le bilan se rédige une fois la collecte réussie, avant la clôture."))
    if not (body or "").strip():
        raise ApplicationError(_("Le bilan ne peut pas être vide."), field_errors={"body": _("Texte obligatoire.")})
    report = FinalReport.objects.filter(campaign=campaign).first() or FinalReport(campaign=campaign, author=actor)
    report.body = body.strip()
    report.body_html = _render_markdown(report.body)
    if publish and report.published_at is None:
        report.published_at = timezone.now()
    report.save()
    _public_cache_bump_on_commit(campaign.pk)
    return report


@_with_file_cleanup
@transaction.atomic
def final_report_image_add(*, actor, campaign: Campaign, upload, alt_text: str) -> FinalReportImage:
    report = FinalReport.objects.select_related("campaign__cooperative__ad").filter(campaign=campaign).first()
    if report is None:
        raise ConflictError(_("Écrivez d'abord le texte du bilan."))
    if not selectors.can_write_final_report(actor, report.campaign):
        raise PermissionDenied(_("Le bilan est rédigé par l'enseignant·e du projet."))
    if report.campaign.status == Status.CLOSED:
        raise ConflictError(_("Le projet est clôturé."))
    if not (alt_text or "").strip():
        raise ApplicationError(_("Décrivez l'image pour les personnes qui ne la voient pas."), field_errors={"alt_text": _("Description obligatoire.")})
    processed = process_picture(upload)
    image = FinalReportImage(report=report, alt_text=alt_text.strip()[:200], position=report.images.count())
    image.large.save(f"{uuid.uuid4().hex}.jpg", processed.large, save=False)
    _delete_on_rollback(image.large.storage, image.large.name)
    image.thumbnail.save(f"{uuid.uuid4().hex}-thumb.jpg", processed.thumbnail, save=False)
    _delete_on_rollback(image.thumbnail.storage, image.thumbnail.name)
    image.save()
    _public_cache_bump_on_commit(report.campaign_id)
    return image


def campaign_closing_blockers(*, campaign: Campaign) -> list[str]:
    """What still stands between the campaign and its closing (empty: it can be closed)."""
    blockers = []
    if campaign.status != Status.FUNDED:
        blockers.append(_("Le projet doit avoir reçu ses fonds (état « versé à la coopérative »)."))
    money = selectors.campaign_money(campaign=campaign)
    if money.fund_cents:
        blockers.append(_("Il reste %(amount)s à verser à la coopérative.") % {"amount": format_euros(money.fund_cents)})
    if money.cooperative_holds_cents:
        blockers.append(
            _("%(amount)s versés ne sont couverts ni par des dépenses payées ni par un remboursement à l'AD.") % {"amount": format_euros(money.cooperative_holds_cents)}
        )
    if Expense.objects.filter(campaign=campaign, status__in=[ExpenseStatus.SUBMITTED, ExpenseStatus.APPROVED, ExpenseStatus.INCOMPLETE]).exists():
        blockers.append(_("Des dépenses sont encore en cours d'approbation ou de paiement."))
    if not FinalReport.objects.filter(campaign=campaign, published_at__isnull=False).exists():
        blockers.append(_("Le bilan du projet n'est pas encore publié."))
    return blockers


@transaction.atomic
def campaign_close(*, actor, campaign: Campaign) -> Campaign:
    """funded -> closed, once every disbursed euro is accounted for; donors get the report by e-mail."""
    campaign = _lock_campaign(campaign)
    if not selectors.can_view_books(actor, campaign):
        raise Http404(_("Projet introuvable."))
    if not selectors.can_close_campaign(actor, campaign):
        raise PermissionDenied(_("Vous ne pouvez pas clôturer ce projet."))
    blockers = campaign_closing_blockers(campaign=campaign)
    if blockers:
        raise ConflictError(_("Le projet ne peut pas encore être clôturé : %(reasons)s") % {"reasons": " ".join(blockers)})
    campaign = _campaign_transition(campaign=campaign, to_status=Status.CLOSED, actor=actor, comment=_("Comptes soldés et bilan publié."))
    from .tasks import final_report_email_donors as email_task

    email_task.delay_on_commit(campaign.pk)
    return campaign


def final_report_email_donors(*, campaign_id: int) -> int:
    """One e-mail per donor (never a shared To:), once per campaign. Returns how many were sent.

    Marked sent in the same locked transaction: a crash re-sends rather than never sends.
    """
    from django.conf import settings
    from django.core.mail import EmailMessage
    from django.template.loader import render_to_string
    from django.urls import NoReverseMatch, reverse

    from trousse.payments.models import PAID_STATUSES, Donation
    from trousse.privacy.services import is_erased_email

    with transaction.atomic():
        report = FinalReport.objects.select_for_update().select_related("campaign").filter(campaign_id=campaign_id, donors_emailed_at__isnull=True).first()
        if report is None or report.campaign.status != Status.CLOSED:
            return 0
        # In the language the donor gave in (their latest gift's, for a donor who gave twice).
        donors = Donation.objects.filter(campaign_id=campaign_id, status__in=PAID_STATUSES).order_by("created_at", "pk").values_list("email", "language")
        # A donor who had their data erased (RGPD) is never written to again.
        languages = {address.strip().lower(): language for address, language in donors if address and not is_erased_email(address)}
        emails = sorted(languages)
        try:
            url = settings.SITE_URL.rstrip("/") + reverse("campaign_detail", kwargs={"slug": report.campaign.slug})
        except NoReverseMatch:
            url = settings.SITE_URL
        messages = {}
        for language in set(languages.values()):
            with translation.override(language):
                subject = _("Le bilan du projet « %(title)s »") % {"title": report.campaign.title}
                messages[language] = (subject, render_to_string("ledger/email/final_report.txt", {"campaign": report.campaign, "report": report, "url": url}))
        for email in emails:
            subject, body = messages[languages[email]]
            EmailMessage(subject=subject, body=body, to=[email]).send()
        report.donors_emailed_at = timezone.now()
        report.save(update_fields=["donors_emailed_at"])
    return len(emails)
