"""Money scenarios for tests: donations through the ledger, and the books' own check after each step."""

import io
import itertools

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tests import factories
from trousse.campaigns.models import Campaign, Status
from trousse.ledger import services
from trousse.ledger.models import Expense, ExpensePaymentMethod
from trousse.ledger.services import ledger_record_donation, ledger_record_refund
from trousse.payments.models import DonationStatus

_counter = itertools.count(1)


def assert_ledger_ok() -> None:
    """Runs `manage.py ledger_check` as an operator would; fails the test with every mismatch it prints."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("ledger_check", stdout=out, stderr=err)
    except BaseException as error:  # CommandError or SystemExit
        raise AssertionError(f"ledger_check failed: {err.getvalue()}") from error
    assert "ledger ok" in out.getvalue()


@transaction.atomic
def donate(campaign: Campaign, amount_cents: int, **donation_fields):
    """A succeeded donation as the payments services record it: row, ledger entries and raised amount together."""
    donation = factories.DonationFactory(
        campaign=campaign, amount_cents=amount_cents, status=DonationStatus.SUCCEEDED, **donation_fields
    )
    ledger_record_donation(campaign=campaign, amount_cents=amount_cents, key=f"donation:{donation.pk}:succeeded", reference=f"donation:{donation.pk}")
    Campaign.objects.filter(pk=campaign.pk).update(raised_cents=F("raised_cents") + amount_cents, donors_count=F("donors_count") + 1)
    campaign.refresh_from_db()
    return donation


@transaction.atomic
def refund(donation, amount_cents: int):
    ledger_record_refund(
        campaign=donation.campaign, amount_cents=amount_cents, key=f"refund:{donation.pk}:{next(_counter)}", reference=f"donation:{donation.pk}"
    )
    donation.refunded_cents += amount_cents
    donation.status = DonationStatus.REFUNDED if donation.refunded_cents == donation.amount_cents else DonationStatus.PARTIALLY_REFUNDED
    donation.save()
    Campaign.objects.filter(pk=donation.campaign_id).update(raised_cents=F("raised_cents") - amount_cents)
    donation.campaign.refresh_from_db()


def succeed(campaign: Campaign) -> Campaign:
    """The scheduler's end of a live campaign above its minimum (campaigns' work owns the real move)."""
    Campaign.objects.filter(pk=campaign.pk).update(status=Status.SUCCEEDED)
    campaign.refresh_from_db()
    return campaign


def succeeded_campaign(cooperative, *, raised_cents: int = 110_000, **fields) -> Campaign:
    campaign = factories.CampaignFactory(cooperative=cooperative, status=Status.LIVE, **fields)
    donate(campaign, raised_cents)
    return succeed(campaign)


def expense_of(
    mandataire, campaign, *, receipt: bool = True, submit: bool = True, amount_cents: int = 12_000, payment_method: str = ExpensePaymentMethod.TRANSFER
) -> Expense:
    """An expense on the campaign's first budget line, through the services; submitted for review unless told not to."""
    from .conftest import jpeg_bytes  # conftest imports this module

    expense = services.expense_create(
        actor=mandataire,
        campaign=campaign,
        budget_line=campaign.budget_lines.first(),
        date=timezone.localdate(),
        supplier="Cars du Marais",
        amount_cents=amount_cents,
        payment_method=payment_method,
        receipt=SimpleUploadedFile("ticket.jpg", jpeg_bytes(), content_type="image/jpeg") if receipt else None,
    )
    return services.expense_submit(actor=mandataire, expense=expense) if submit else expense
