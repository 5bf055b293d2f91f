"""Donors' e-mails: sent to the address they typed, never to a donor who had their data erased."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone, translation

from tests import factories
from trousse.campaigns.models import Status
from trousse.payments.models import Donation, DonationStatus, Refund, RefundStatus
from trousse.payments.services import donation_confirmation_email_send, donation_transition, refund_notice_email_send
from trousse.payments.tasks import SWEEP_DELIVERY_SETTLE, payments_side_effects_catch_up
from trousse.privacy.services import donor_data_erase

pytestmark = pytest.mark.django_db

DONOR = "camille.martin@example.org"


@pytest.fixture
def donation(cooperative, teacher):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE)
    donation = factories.DonationFactory(campaign=campaign, email=DONOR)
    donation, _changed = donation_transition(donation_id=donation.pk, to_status=DonationStatus.SUCCEEDED, source="test")
    return donation


def refund_of(donation) -> Refund:
    """A refund Stripe completed whose notice job has not run (or was lost)."""
    return Refund.objects.create(
        donation=donation, amount_cents=donation.amount_cents, reason="Projet annulé", status=RefundStatus.SUCCEEDED, completed_at=timezone.now()
    )


def test_a_donor_is_thanked_and_told_of_a_refund(donation):
    mail.outbox.clear()
    assert donation_confirmation_email_send(donation_id=donation.pk) is True
    assert refund_notice_email_send(refund_id=refund_of(donation).pk) is True
    assert [message.to for message in mail.outbox] == [[DONOR], [DONOR]]
    assert "Merci" in mail.outbox[0].subject and "Remboursement" in mail.outbox[1].subject


@pytest.mark.parametrize(
    ("language", "thanks", "refund", "refund_body", "not_there"),
    [
        ("fr", "Merci pour votre don au projet", "Remboursement de votre don au projet", "Nous vous remboursons", ("Thank", "Hello", "refund")),
        ("en", "Thank you for your donation to the project", "Refund of your donation to the project", "We are refunding", ("Merci", "Bonjour", "rembours")),
    ],
)
def test_the_thanks_and_the_refund_notice_are_in_the_donors_language(donation, language, thanks, refund, refund_body, not_there):
    Donation.objects.filter(pk=donation.pk).update(language=language)
    mail.outbox.clear()
    # Whatever the worker's own language: the donor's counts.
    with translation.override("en" if language == "fr" else "fr"):
        donation_confirmation_email_send(donation_id=donation.pk)
        refund_notice_email_send(refund_id=refund_of(donation).pk)
    confirmation, notice = mail.outbox
    assert confirmation.subject.startswith(thanks) and notice.subject.startswith(refund)
    assert refund_body in notice.body
    for message in (confirmation, notice):
        text = message.subject + message.body
        assert not any(word in text for word in not_there), text


def test_an_erased_donor_gets_neither_thanks_nor_refund_notice(donation):
    donor_data_erase(email=DONOR)
    mail.outbox.clear()
    donation_confirmation_email_send(donation_id=donation.pk)
    # A refund after the erasure (the campaign failed later): the money goes back, the e-mail does not.
    refund_notice_email_send(refund_id=refund_of(donation).pk)
    assert mail.outbox == []


def test_a_donor_is_thanked_once_however_often_the_job_runs(donation):
    mail.outbox.clear()
    assert donation_confirmation_email_send(donation_id=donation.pk) is True
    assert donation_confirmation_email_send(donation_id=donation.pk) is False  # redelivered job
    assert len(mail.outbox) == 1
    donation.refresh_from_db()
    assert donation.confirmation_sent_at is not None


def test_the_sweep_thanks_a_donor_whose_job_was_lost_once_the_mail_queue_had_its_chance(donation):
    now = timezone.now()
    mail.outbox.clear()

    payments_side_effects_catch_up(now=now)
    assert mail.outbox == []  # still within the job's own time

    counts = payments_side_effects_catch_up(now=now + SWEEP_DELIVERY_SETTLE + timedelta(minutes=1))
    again = payments_side_effects_catch_up(now=now + SWEEP_DELIVERY_SETTLE + timedelta(minutes=2))

    assert counts["confirmations_sent"] == 1 and again["confirmations_sent"] == 0
    assert [message.to for message in mail.outbox] == [[DONOR]]


def test_a_donor_is_told_of_a_refund_once_however_often_the_job_runs(donation):
    refund = refund_of(donation)
    mail.outbox.clear()
    assert refund_notice_email_send(refund_id=refund.pk) is True
    assert refund_notice_email_send(refund_id=refund.pk) is False  # redelivered job
    assert len(mail.outbox) == 1
    refund.refresh_from_db()
    assert refund.notice_sent_at is not None


def test_the_sweep_tells_a_donor_of_a_refund_whose_notice_was_lost(donation):
    refund = refund_of(donation)
    now = timezone.now()
    donation_confirmation_email_send(donation_id=donation.pk)
    mail.outbox.clear()

    assert payments_side_effects_catch_up(now=now)["refund_notices_sent"] == 0  # its own job may still come
    counts = payments_side_effects_catch_up(now=now + SWEEP_DELIVERY_SETTLE + timedelta(minutes=1))
    again = payments_side_effects_catch_up(now=now + SWEEP_DELIVERY_SETTLE + timedelta(minutes=2))

    assert counts["refund_notices_sent"] == 1 and again["refund_notices_sent"] == 0
    assert [(message.to, "Remboursement" in message.subject) for message in mail.outbox] == [([DONOR], True)]
    refund.refresh_from_db()
    assert refund.notice_sent_at is not None
