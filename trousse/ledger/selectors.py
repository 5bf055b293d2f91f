"""Reads of the books: balances from the ledger, budget versus spent, who may see what."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Case, F, Prefetch, Q, Sum, When
from django.http import Http404
from django.utils.translation import gettext as _

from trousse.accounts.models import Cooperative, DepartmentalAssociation
from trousse.accounts.selectors import actor_scope
from trousse.campaigns.models import BudgetLine, Campaign, Status
from trousse.campaigns.selectors import is_ad_staff, is_campaign_teacher

from .models import (
    COMMITTED_EXPENSE_STATUSES,
    AccountKind,
    BatchStatus,
    DisbursementBatch,
    DisbursementItem,
    Expense,
    ExpenseStatus,
    FinalReport,
    LedgerEntry,
    LedgerTransaction,
    TransactionKind,
)

# Campaigns whose money may still be in the fund, waiting to be paid to the cooperative.
DISBURSABLE_STATUSES = (Status.SUCCEEDED, Status.FUNDED)
# Campaigns whose books the cooperative keeps (expenses may be recorded).
SPENDING_STATUSES = (Status.SUCCEEDED, Status.FUNDED)
# Campaigns that have books to show (money received and kept).
BOOKS_STATUSES = (Status.SUCCEEDED, Status.FUNDED, Status.CLOSED)


# --- the ledger's own figures -------------------------------------------------


def campaign_fund_balance(*, campaign: Campaign) -> int:
    """Money held for the campaign now (donations − refunds − frozen disputes − disbursed)."""
    total = LedgerEntry.objects.filter(account__code=f"{AccountKind.CAMPAIGN_FUND}:{campaign.pk}").aggregate(total=Sum("amount_cents"))["total"]
    return total or 0


def campaign_raised_from_ledger(*, campaign: Campaign) -> int:
    """What the campaign page's raised amount must equal: donations net of refunds."""
    total = LedgerEntry.objects.filter(
        account__code=f"{AccountKind.CAMPAIGN_FUND}:{campaign.pk}", transaction__kind__in=[TransactionKind.DONATION, TransactionKind.REFUND]
    ).aggregate(total=Sum("amount_cents"))["total"]
    return total or 0


def account_balance(*, code: str) -> int:
    return LedgerEntry.objects.filter(account__code=code).aggregate(total=Sum("amount_cents"))["total"] or 0


def cooperative_balance(*, cooperative: Cooperative) -> int:
    """Money the cooperative received from its AD and has not yet spent or given back."""
    return account_balance(code=f"{AccountKind.COOPERATIVE}:{cooperative.pk}")


def ad_balance(*, ad: DepartmentalAssociation) -> int:
    """Money cooperatives gave back to the AD (unspent funds)."""
    return account_balance(code=f"{AccountKind.AD}:{ad.pk}")


@dataclass(frozen=True)
class CampaignMoney:
    raised_cents: int  # donations net of refunds (the ledger's view of the page's counter)
    fund_cents: int  # still held for the campaign by the AD: what is left to disburse
    reserved_cents: int  # part of the fund in a prepared, not yet executed, batch
    disbursed_cents: int  # paid to the cooperative
    spent_cents: int  # paid expenses
    refunded_to_ad_cents: int  # unspent money the cooperative gave back to the AD
    committed_cents: int  # expenses submitted or approved, not yet paid

    @property
    def to_disburse_cents(self) -> int:
        return max(0, self.fund_cents - self.reserved_cents)

    @property
    def cooperative_holds_cents(self) -> int:
        """Disbursed money not yet covered by paid expenses or a refund to the AD."""
        return self.disbursed_cents - self.spent_cents - self.refunded_to_ad_cents

    @property
    def available_to_spend_cents(self) -> int:
        return self.cooperative_holds_cents - self.committed_cents


def _cooperative_side_totals(campaign_ids) -> dict[int, dict[str, int]]:
    """Per campaign, the cooperative account's movements by what caused them.

    A reversal counts as its original's kind with the opposite sign, so a
    corrected expense or disbursement simply nets out.
    """
    rows = (
        LedgerEntry.objects.filter(account__kind=AccountKind.COOPERATIVE, transaction__campaign_id__in=list(campaign_ids))
        .annotate(effective_kind=Case(When(transaction__reverses__isnull=False, then=F("transaction__reverses__kind")), default=F("transaction__kind")))
        .values("transaction__campaign_id", "effective_kind")
        .annotate(total=Sum("amount_cents"))
    )
    totals: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        totals[row["transaction__campaign_id"]][row["effective_kind"]] += row["total"] or 0
    return totals


def campaigns_money(*, campaigns) -> dict[int, CampaignMoney]:
    """The money figures of many campaigns in a constant number of queries."""
    ids = [campaign.pk for campaign in campaigns]
    if not ids:
        return {}
    funds: dict[int, int] = defaultdict(int)
    raised: dict[int, int] = defaultdict(int)
    for row in (
        LedgerEntry.objects.filter(account__kind=AccountKind.CAMPAIGN_FUND, account__campaign_id__in=ids)
        .values("account__campaign_id", "transaction__kind")
        .annotate(total=Sum("amount_cents"))
    ):
        funds[row["account__campaign_id"]] += row["total"]
        if row["transaction__kind"] in (TransactionKind.DONATION, TransactionKind.REFUND):
            raised[row["account__campaign_id"]] += row["total"]
    reserved = dict(
        DisbursementItem.objects.filter(campaign_id__in=ids, status=BatchStatus.PREPARED).values_list("campaign_id").annotate(total=Sum("amount_cents"))
    )
    committed = dict(
        Expense.objects.filter(campaign_id__in=ids, status__in=[ExpenseStatus.SUBMITTED, ExpenseStatus.APPROVED])
        .values_list("campaign_id")
        .annotate(total=Sum("amount_cents"))
    )
    cooperative_side = _cooperative_side_totals(ids)
    result = {}
    for campaign_id in ids:
        side = cooperative_side.get(campaign_id, {})
        result[campaign_id] = CampaignMoney(
            raised_cents=raised[campaign_id],
            fund_cents=funds[campaign_id],
            reserved_cents=reserved.get(campaign_id, 0),
            disbursed_cents=side.get(TransactionKind.DISBURSEMENT, 0),
            spent_cents=-side.get(TransactionKind.EXPENSE, 0),
            refunded_to_ad_cents=-side.get(TransactionKind.ADJUSTMENT, 0),
            committed_cents=committed.get(campaign_id, 0),
        )
    return result


def campaign_money(*, campaign: Campaign) -> CampaignMoney:
    return campaigns_money(campaigns=[campaign])[campaign.pk]


# --- ledger_check -----------------------------------------------------------


def ledger_check_problems() -> list[str]:
    """Every disagreement between the ledger and what the pages show; empty when the books hold."""
    problems: list[str] = []
    for row in LedgerTransaction.objects.annotate(total=Sum("entries__amount_cents")).exclude(total=0).values("key", "total"):
        problems.append(f"transaction {row['key']} does not balance: sum of entries is {row['total']} (expected 0)")
    for key in LedgerTransaction.objects.annotate(total=Sum("entries__amount_cents")).filter(total__isnull=True).values_list("key", flat=True):
        problems.append(f"transaction {key} has no entries")
    raised_by_campaign: dict[int, int] = dict(
        LedgerEntry.objects.filter(account__kind=AccountKind.CAMPAIGN_FUND, transaction__kind__in=[TransactionKind.DONATION, TransactionKind.REFUND])
        .values_list("account__campaign_id")
        .annotate(total=Sum("amount_cents"))
    )
    fund_by_campaign: dict[int, int] = dict(
        LedgerEntry.objects.filter(account__kind=AccountKind.CAMPAIGN_FUND).values_list("account__campaign_id").annotate(total=Sum("amount_cents"))
    )
    for campaign_id, slug, raised_cents in Campaign.objects.filter(Q(raised_cents__gt=0) | Q(pk__in=list(raised_by_campaign))).values_list("pk", "slug", "raised_cents"):
        ledger_raised = raised_by_campaign.get(campaign_id, 0)
        if ledger_raised != raised_cents:
            problems.append(f"campaign {campaign_id} ({slug}): raised_cents is {raised_cents}, the ledger says {ledger_raised}")
    for campaign_id, balance in fund_by_campaign.items():
        if balance < 0:
            problems.append(f"campaign {campaign_id}: its fund is negative ({balance}): more went out than came in")
    for code, balance in (
        LedgerEntry.objects.filter(account__kind=AccountKind.COOPERATIVE).values_list("account__code").annotate(total=Sum("amount_cents"))
    ):
        if balance < 0:
            problems.append(f"account {code} is negative ({balance}): the cooperative spent more than it received")
    return problems


# --- who may see and do what --------------------------------------------------


def can_view_books(user, campaign: Campaign) -> bool:
    """Mandataire and teacher of the cooperative, animator and treasurer of its AD."""
    scope = actor_scope(user)
    return (
        scope.is_federation_admin
        or campaign.cooperative_id in scope.cooperatives
        or campaign.cooperative.ad_id in scope.staff_ads
    )


def can_keep_books(user, cooperative: Cooperative) -> bool:
    """Records expenses, reconciles, exports: the cooperative's mandataire."""
    return actor_scope(user).is_mandataire_of(cooperative.pk)


def can_review_expense(user, expense: Expense) -> bool:
    """The AD treasurer or a mandataire of the cooperative, never the one who submitted it."""
    scope = actor_scope(user)
    if expense.submitted_by_id == scope.user_id:
        return False
    return scope.is_treasurer_of(expense.cooperative.ad_id) or scope.is_mandataire_of(expense.cooperative_id)


def can_disburse(user, ad: DepartmentalAssociation) -> bool:
    return actor_scope(user).is_treasurer_of(ad.pk)


def can_write_final_report(user, campaign: Campaign) -> bool:
    """The campaign's own teacher (a colleague of the same school may not speak for them)."""
    return is_campaign_teacher(user, campaign)


def can_close_campaign(user, campaign: Campaign) -> bool:
    """Whom campaign_transition lets move funded -> closed: the campaign's own teacher or its AD's staff (and the federation).

    Built on the campaigns' own predicates so the button is offered to exactly those the move will accept:
    another teacher of the same cooperative is not the campaign's teacher.
    """
    return is_campaign_teacher(user, campaign) or is_ad_staff(user, campaign)


def campaign_get_for_books(*, actor, slug: str) -> Campaign:
    """The campaign whose books the actor may see; 404 for anyone else (they need not know it exists)."""
    campaign = (
        Campaign.objects.select_related("cooperative__ad", "teacher")
        .prefetch_related("budget_lines")
        .filter(slug=slug)
        .first()
    )
    if campaign is None or not can_view_books(actor, campaign):
        raise Http404(_("Projet introuvable."))
    return campaign


def ad_list_for_treasurer(*, actor):
    scope = actor_scope(actor)
    queryset = DepartmentalAssociation.objects.all()
    if not scope.is_federation_admin:
        queryset = queryset.filter(pk__in=scope.treasurer_of)
    return queryset


def cooperative_get_for_books(*, actor, cooperative_id: int) -> Cooperative:
    """A cooperative whose books the actor keeps (mandataire) or oversees (AD treasurer)."""
    cooperative = Cooperative.objects.select_related("ad").filter(pk=cooperative_id).first()
    scope = actor_scope(actor)
    if cooperative is None or not (scope.is_mandataire_of(cooperative.pk) or scope.is_treasurer_of(cooperative.ad_id)):
        raise Http404(_("Coopérative introuvable."))
    return cooperative


def cooperative_list_for_books(*, actor):
    scope = actor_scope(actor)
    queryset = Cooperative.objects.select_related("ad")
    if scope.is_federation_admin:
        return queryset
    return queryset.filter(Q(pk__in=scope.mandataire_of) | Q(ad_id__in=scope.treasurer_of))


# --- budget versus spent ------------------------------------------------------


@dataclass
class BudgetLineView:
    line: BudgetLine
    budgeted_cents: int
    spent_cents: int = 0
    committed_cents: int = 0

    @property
    def remaining_cents(self) -> int:
        return self.budgeted_cents - self.spent_cents - self.committed_cents

    @property
    def overspent(self) -> bool:
        return self.remaining_cents < 0


@dataclass
class BudgetView:
    campaign: Campaign
    lines: list[BudgetLineView]
    money: CampaignMoney
    warnings: list[str] = field(default_factory=list)

    @property
    def budgeted_cents(self) -> int:
        return sum(line.budgeted_cents for line in self.lines)


def campaign_budget_view(*, campaign: Campaign) -> BudgetView:
    """Per budget line: budgeted, spent (paid), committed (submitted/approved), remaining."""
    lines = {line.pk: BudgetLineView(line=line, budgeted_cents=line.amount_cents) for line in campaign.budget_lines.all()}
    for line_id, status, total in (
        Expense.objects.filter(campaign=campaign, status__in=COMMITTED_EXPENSE_STATUSES).values_list("budget_line_id", "status").annotate(total=Sum("amount_cents"))
    ):
        view = lines.get(line_id)
        if view is None:
            continue
        if status == ExpenseStatus.PAID:
            view.spent_cents += total
        else:
            view.committed_cents += total
    money = campaign_money(campaign=campaign)
    warnings = [
        _("La ligne « %(label)s » dépasse son budget de %(over)s.") % {"label": view.line.label, "over": _format(-view.remaining_cents)}
        for view in lines.values()
        if view.overspent
    ]
    return BudgetView(campaign=campaign, lines=list(lines.values()), money=money, warnings=warnings)


def _format(cents: int) -> str:
    from trousse.money import format_euros

    return format_euros(cents)


# --- expenses -----------------------------------------------------------------


def _expense_queryset():
    return Expense.objects.select_related("campaign", "cooperative__ad", "budget_line", "created_by", "submitted_by", "approved_by")


def expense_list_for_campaign(*, actor, campaign: Campaign):
    if not can_view_books(actor, campaign):
        raise Http404(_("Projet introuvable."))
    return _expense_queryset().filter(campaign=campaign).order_by("-date", "-id")


def expense_get_for_actor(*, actor, expense_id: int) -> Expense:
    expense = _expense_queryset().filter(pk=expense_id).first()
    if expense is None or not can_view_books(actor, expense.campaign):
        raise Http404(_("Dépense introuvable."))
    return expense


def expenses_needing_attention(*, campaign: Campaign) -> dict[str, list[Expense]]:
    """What the reconciliation page lists: paid but not matched to the bank statement, and without receipt."""
    expenses = list(_expense_queryset().filter(campaign=campaign).exclude(status=ExpenseStatus.REJECTED))
    return {
        "not_reconciled": [expense for expense in expenses if expense.status == ExpenseStatus.PAID and not expense.is_reconciled],
        "without_receipt": [expense for expense in expenses if not expense.receipt],
    }


def expenses_to_review(*, actor):
    """Submitted expenses the actor may approve (the AD's, or a fellow mandataire's)."""
    scope = actor_scope(actor)
    queryset = _expense_queryset().filter(status=ExpenseStatus.SUBMITTED).exclude(submitted_by_id=scope.user_id)
    if not scope.is_federation_admin:
        queryset = queryset.filter(Q(cooperative__ad_id__in=scope.treasurer_of) | Q(cooperative_id__in=scope.mandataire_of))
    return queryset.order_by("submitted_at")


def campaign_list_for_books(*, actor):
    """Campaigns with books (succeeded onwards) the actor may see."""
    scope = actor_scope(actor)
    queryset = Campaign.objects.select_related("cooperative__ad").filter(status__in=BOOKS_STATUSES)
    if not scope.is_federation_admin:
        queryset = queryset.filter(Q(cooperative_id__in=scope.cooperatives) | Q(cooperative__ad_id__in=scope.staff_ads))
    return queryset.order_by("-ended_at", "-id")


# --- disbursements ------------------------------------------------------------


@dataclass(frozen=True)
class CampaignToDisburse:
    campaign: Campaign
    money: CampaignMoney


def campaigns_to_disburse(*, actor, ad: DepartmentalAssociation) -> list[CampaignToDisburse]:
    if not can_disburse(actor, ad):
        raise Http404(_("Association introuvable."))
    campaigns = list(
        Campaign.objects.select_related("cooperative").filter(cooperative__ad=ad, status__in=DISBURSABLE_STATUSES).order_by("ended_at", "id")
    )
    money = campaigns_money(campaigns=campaigns)
    return [CampaignToDisburse(campaign=c, money=money[c.pk]) for c in campaigns if money[c.pk].to_disburse_cents > 0]


def batch_list_for_actor(*, actor):
    scope = actor_scope(actor)
    queryset = DisbursementBatch.objects.select_related("ad", "created_by")
    if not scope.is_federation_admin:
        queryset = queryset.filter(ad_id__in=scope.treasurer_of)
    return queryset


def batch_get_for_actor(*, actor, batch_id: int) -> DisbursementBatch:
    batch = (
        batch_list_for_actor(actor=actor)
        .prefetch_related(Prefetch("items", queryset=DisbursementItem.objects.select_related("campaign", "cooperative")))
        .filter(pk=batch_id)
        .first()
    )
    if batch is None:
        raise Http404(_("Lot de versements introuvable."))
    return batch


# --- the cooperative's books, for its accounting software ---------------------


def cooperative_books_entries(*, cooperative: Cooperative, start: datetime.date, end: datetime.date):
    """Every ledger line of the transactions that moved the cooperative's money in [start, end]."""
    from django.utils import timezone

    tz = timezone.get_current_timezone()
    start_at = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    end_at = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    transaction_ids = LedgerEntry.objects.filter(
        account__code=f"{AccountKind.COOPERATIVE}:{cooperative.pk}", transaction__created_at__gte=start_at, transaction__created_at__lt=end_at
    ).values("transaction_id")
    return (
        LedgerEntry.objects.filter(transaction_id__in=transaction_ids)
        # The account's owner too: the export names each account (LedgerAccount.label) without a query per line.
        .select_related("transaction__campaign", "account__campaign", "account__cooperative", "account__ad")
        .order_by("transaction__created_at", "transaction_id", "id")
    )


def expense_list_for_export(*, cooperative: Cooperative, start: datetime.date, end: datetime.date):
    return (
        Expense.objects.filter(cooperative=cooperative, date__gte=start, date__lte=end)
        .exclude(status=ExpenseStatus.REJECTED)
        .exclude(receipt="")
        .select_related("campaign")
        .order_by("date", "id")
    )


# --- the public page: where the money went -----------------------------------


@dataclass
class PublicSpending:
    lines: list[BudgetLineView]
    spent_cents: int
    disbursed_cents: int
    report: FinalReport | None


def campaign_public_spending(*, campaign: Campaign) -> PublicSpending | None:
    """For funded or closed campaigns: budgeted versus spent per line, and the published report.

    Only totals per budget line: suppliers, receipts and bank details stay private.
    """
    if campaign.status not in (Status.FUNDED, Status.CLOSED):
        return None
    view = campaign_budget_view(campaign=campaign)
    report = FinalReport.objects.prefetch_related("images").filter(campaign=campaign, published_at__isnull=False).first()
    return PublicSpending(
        lines=view.lines,
        spent_cents=sum(line.spent_cents for line in view.lines),
        disbursed_cents=view.money.disbursed_cents,
        report=report,
    )
