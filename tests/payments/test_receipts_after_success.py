"""Tax receipts wait for the campaign's success: all-or-nothing, below the minimum every donor is refunded.

The whole path runs here: Stripe's signed webhook marks the donation paid, the
campaign ends through campaigns' own service, which dispatches the receipts' task
by name, and the receipts are numbered, rendered and e-mailed.
"""

import smtplib

import pytest
from django.core import mail
from django.db import OperationalError

from tests import factories
from tests.payments.helpers import event_payload, post_event
from trousse.campaigns.models import Status
from trousse.campaigns.services import campaign_end
from trousse.payments import gateway, receipt_tasks, tax_receipts
from trousse.payments.models import DonationStatus, PaymentMethod, TaxReceipt, TaxReceiptSequence, TaxReceiptStatus
from trousse.payments.tax_receipts import tax_receipt_sync, tax_receipts_issue_for_campaign, tax_receipts_issue_missing

pytestmark = pytest.mark.django_db


def receipt_mails():
    return [message for message in mail.outbox if message.subject.startswith("Votre reçu fiscal n°")]


def active_receipts(donation):
    return list(donation.tax_receipts.filter(status=TaxReceiptStatus.ISSUED))


def pay_by_webhook(client, donation, capture):
    """Stripe tells us the payment succeeded: the donation is paid, the campaign credited."""
    with capture(execute=True):
        response = post_event(client, event_payload("payment_intent.succeeded", donation=donation))
    assert response.status_code == 200
    donation.refresh_from_db()
    assert donation.status == DonationStatus.SUCCEEDED


@pytest.fixture
def stripe_refunds(monkeypatch):
    """Stripe accepts every refund (the refunds themselves are tested against localstripe in test_refunds.py)."""
    monkeypatch.setattr(gateway, "refund_find", lambda **kwargs: None)
    monkeypatch.setattr(
        gateway, "refund_create", lambda *, refund_id, amount_cents, **kwargs: gateway.RefundData(id=f"re_test_{refund_id}", status="succeeded", amount_cents=amount_cents)
    )


def test_a_gift_gets_its_receipt_only_once_the_campaign_succeeded(client, live_campaign, django_capture_on_commit_callbacks):
    ad = live_campaign.cooperative.ad
    first = factories.DonationFactory(campaign=live_campaign, amount_cents=60_000, first_name="Lucie", last_name="Martin")
    second = factories.DonationFactory(campaign=live_campaign, amount_cents=50_000, donor_type="business", company_name="Garage du Marais", siret="73282932000074")
    without = factories.DonationFactory(campaign=live_campaign, amount_cents=5_000, wants_tax_receipt=False)
    for donation in (first, second, without):
        pay_by_webhook(client, donation, django_capture_on_commit_callbacks)

    # Paid, thanked, but no receipt while the campaign may still fail.
    live_campaign.refresh_from_db()
    assert live_campaign.status == Status.LIVE and live_campaign.raised_cents == 115_000
    assert TaxReceipt.objects.count() == 0
    assert len(mail.outbox) == 3 and receipt_mails() == []
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        campaign_end(campaign=live_campaign)
    assert live_campaign.status == Status.SUCCEEDED

    (first_receipt,) = active_receipts(first)
    (second_receipt,) = active_receipts(second)
    assert active_receipts(without) == []
    year = first_receipt.year
    assert [first_receipt.number, second_receipt.number] == [f"79-{year}-000001", f"79-{year}-000002"]
    assert (first_receipt.amount_cents, first_receipt.donor_name) == (60_000, "Lucie Martin")
    assert second_receipt.company_name == "Garage du Marais"
    assert TaxReceiptSequence.objects.get(ad=ad, year=year).last_number == 2
    # Each donor gets their own receipt, PDF attached (the teacher hears of the success apart).
    by_recipient = {message.to[0]: message for message in receipt_mails()}
    assert len(receipt_mails()) == 2
    assert set(by_recipient) == {first.email, second.email}
    assert first_receipt.number in by_recipient[first.email].subject
    assert by_recipient[first.email].attachments[0][1].startswith(b"%PDF-")
    first_receipt.refresh_from_db()
    assert first_receipt.emailed_at is not None and first_receipt.pdf


def test_a_failed_campaigns_donations_never_got_a_receipt(client, live_campaign, stripe_refunds, django_capture_on_commit_callbacks):
    donations = [factories.DonationFactory(campaign=live_campaign, amount_cents=20_000) for _ in range(3)]
    for donation in donations:
        pay_by_webhook(client, donation, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        campaign_end(campaign=live_campaign)  # 600 € raised, 1 000 € needed

    assert live_campaign.status == Status.FAILED
    for donation in donations:
        donation.refresh_from_db()
        assert donation.status == DonationStatus.REFUNDED
    # Not issued then cancelled: never issued at all, and no donor was told otherwise.
    assert TaxReceipt.objects.count() == 0
    assert not TaxReceiptSequence.objects.exists()
    assert receipt_mails() == []
    # Nothing later issues one either: neither the per-donation sync nor the sweeps.
    assert tax_receipts_issue_for_campaign(campaign_id=live_campaign.pk) == []
    assert tax_receipts_issue_missing() == {}
    assert all(tax_receipt_sync(donation_id=donation.pk).issued == () for donation in donations)


def test_a_sepa_gift_settling_after_the_success_gets_its_receipt_through_the_sync(client, live_campaign, django_capture_on_commit_callbacks):
    card = factories.DonationFactory(campaign=live_campaign, amount_cents=100_000)
    pay_by_webhook(client, card, django_capture_on_commit_callbacks)
    sepa = factories.DonationFactory(campaign=live_campaign, amount_cents=3_000, method=PaymentMethod.SEPA_DEBIT)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, event_payload("payment_intent.processing", donation=sepa))
    with django_capture_on_commit_callbacks(execute=True):
        campaign_end(campaign=live_campaign)
    assert live_campaign.status == Status.SUCCEEDED
    assert len(active_receipts(card)) == 1
    assert active_receipts(sepa) == []  # still processing: not money received yet
    mail.outbox.clear()

    pay_by_webhook(client, sepa, django_capture_on_commit_callbacks)

    (receipt,) = active_receipts(sepa)
    assert receipt.sequence == 2 and receipt.payment_form == "Prélèvement SEPA"
    assert [message.to for message in receipt_mails()] == [[sepa.email]]


# --- exactly once: a second run, a crash midway, a retry ------------------------------------------


@pytest.fixture
def succeeded_campaign(cooperative, teacher):
    return factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUCCEEDED)


def paid_donations(campaign, count):
    return [factories.DonationFactory(campaign=campaign, status=DonationStatus.SUCCEEDED) for _ in range(count)]


def assert_exactly_one_receipt_each(campaign, donations):
    """Every donation has one active receipt, and the AD's numbers run 1..M without gap or duplicate."""
    receipts = list(TaxReceipt.objects.filter(ad=campaign.cooperative.ad).order_by("sequence"))
    assert [receipt.sequence for receipt in receipts] == list(range(1, len(donations) + 1))
    assert len({receipt.number for receipt in receipts}) == len(donations)
    for donation in donations:
        assert len(active_receipts(donation)) == 1


def test_running_the_campaigns_task_twice_issues_nothing_more(succeeded_campaign):
    donations = paid_donations(succeeded_campaign, 3)
    first_run = receipt_tasks.tax_receipts_issue_for_campaign(succeeded_campaign.pk)
    second_run = receipt_tasks.tax_receipts_issue_for_campaign(succeeded_campaign.pk)
    assert len(first_run) == 3 and second_run == []
    assert_exactly_one_receipt_each(succeeded_campaign, donations)


def test_a_run_killed_midway_then_run_again_gives_every_receipt_exactly_once(succeeded_campaign, monkeypatch):
    donations = paid_donations(succeeded_campaign, 5)
    real_schedule = tax_receipts._schedule_delivery
    calls = []

    def crash_on_the_third(receipt_id):
        # Inside the third receipt's transaction, after its number was taken: the worst moment.
        calls.append(receipt_id)
        if len(calls) == 3:
            raise RuntimeError("worker killed")
        real_schedule(receipt_id)

    monkeypatch.setattr(tax_receipts, "_schedule_delivery", crash_on_the_third)
    with pytest.raises(RuntimeError):
        tax_receipts_issue_for_campaign(campaign_id=succeeded_campaign.pk)
    # The two committed receipts stay; the third gave its number back.
    assert sorted(TaxReceipt.objects.values_list("sequence", flat=True)) == [1, 2]
    assert TaxReceiptSequence.objects.get().last_number == 2

    monkeypatch.setattr(tax_receipts, "_schedule_delivery", real_schedule)
    resumed = tax_receipts_issue_for_campaign(campaign_id=succeeded_campaign.pk)

    assert len(resumed) == 3
    assert_exactly_one_receipt_each(succeeded_campaign, donations)
    assert TaxReceiptSequence.objects.get().last_number == 5
    assert tax_receipts_issue_for_campaign(campaign_id=succeeded_campaign.pk) == []


def test_a_transient_database_error_midway_is_retried_by_the_task_to_completion(succeeded_campaign, monkeypatch):
    donations = paid_donations(succeeded_campaign, 4)
    real_create = tax_receipts._receipt_create
    calls = []

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OperationalError("server closed the connection unexpectedly")
        return real_create(**kwargs)

    monkeypatch.setattr(tax_receipts, "_receipt_create", flaky)
    # throw=False: as a worker runs it, a Retry is run again rather than raised to the caller.
    result = receipt_tasks.tax_receipts_issue_for_campaign.apply(args=[succeeded_campaign.pk], throw=False)
    assert result.successful() and len(result.result) == 3  # the first receipt came from the first attempt
    assert_exactly_one_receipt_each(succeeded_campaign, donations)


def test_an_smtp_failure_is_retried_and_the_donor_gets_one_mail(succeeded_campaign, monkeypatch):
    (donation,) = paid_donations(succeeded_campaign, 1)
    from django.core.mail import EmailMessage

    real_send = EmailMessage.send
    attempts = []

    def send_once_the_server_is_back(self, *args, **kwargs):
        attempts.append(1)
        if len(attempts) == 1:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return real_send(self, *args, **kwargs)

    monkeypatch.setattr(EmailMessage, "send", send_once_the_server_is_back)
    tax_receipts_issue_for_campaign(campaign_id=succeeded_campaign.pk)  # delivery left to the task below
    (receipt,) = active_receipts(donation)
    result = receipt_tasks.tax_receipt_deliver.apply(args=[receipt.pk], throw=False)
    receipt.refresh_from_db()
    assert result.successful()
    assert len(attempts) == 2 and len(mail.outbox) == 1 and receipt.emailed_at is not None


def test_the_receipt_tasks_survive_a_lost_worker_and_retry_only_transient_errors():
    for task in (
        receipt_tasks.tax_receipt_sync_for_donation,
        receipt_tasks.tax_receipts_issue_for_campaign,
        receipt_tasks.tax_receipts_issue_missing,
        receipt_tasks.tax_receipt_deliver,
    ):
        assert task.acks_late and task.reject_on_worker_lost, task.name
        assert {OSError, smtplib.SMTPException, OperationalError} <= set(task.autoretry_for), task.name
        assert task.retry_backoff and task.max_retries, task.name
        # A bug is not retried for an hour: it fails at once, with its traceback.
        assert Exception not in task.autoretry_for and ValueError not in task.autoretry_for, task.name


def test_the_sweep_issues_what_a_lost_dispatch_left_out(succeeded_campaign, live_campaign):
    donations = paid_donations(succeeded_campaign, 2)
    paid_donations(live_campaign, 1)
    assert tax_receipts_issue_missing() == {succeeded_campaign.pk: 2}
    assert tax_receipts_issue_missing() == {}
    assert_exactly_one_receipt_each(succeeded_campaign, donations)


def test_a_receipt_the_treasurer_cancelled_is_not_issued_again_by_the_batch(succeeded_campaign, treasurer):
    donations = paid_donations(succeeded_campaign, 2)
    first, _second = tax_receipts_issue_for_campaign(campaign_id=succeeded_campaign.pk)
    tax_receipts.tax_receipt_cancel(receipt=TaxReceipt.objects.get(number=first), reason="Erreur de saisie", actor=treasurer)
    assert tax_receipts_issue_for_campaign(campaign_id=succeeded_campaign.pk) == []
    assert tax_receipts_issue_missing() == {}
    assert [len(active_receipts(donation)) for donation in donations] == [0, 1]
