from django.db.models import Sum

from trousse.campaigns.models import Campaign

from .models import AccountKind, LedgerEntry, TransactionKind


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
