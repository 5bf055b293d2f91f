"""The background jobs themselves: retried when the network fails, harmless when run twice."""

import smtplib

import pytest
from django.core import mail
from django.utils import timezone

from tests import factories
from trousse.campaigns.models import Status
from trousse.ledger import tasks as ledger_tasks
from trousse.ledger.models import FinalReport
from trousse.payments import tasks as payment_tasks
from trousse.payments.models import DonationStatus
from trousse.privacy.services import erased_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_campaign(cooperative, teacher):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.CLOSED)
    FinalReport.objects.create(campaign=campaign, body="Merci !", body_html="<p>Merci !</p>", author=teacher, published_at=timezone.now())
    return campaign


def test_the_final_report_is_not_sent_to_donors_who_had_their_data_erased(closed_campaign):
    factories.DonationFactory(campaign=closed_campaign, status=DonationStatus.SUCCEEDED, email="alix@example.org")
    factories.DonationFactory(campaign=closed_campaign, status=DonationStatus.SUCCEEDED, email="Alix@Example.org")  # the same donor
    factories.DonationFactory(campaign=closed_campaign, status=DonationStatus.PARTIALLY_REFUNDED, email="bao@example.org")
    factories.DonationFactory(campaign=closed_campaign, status=DonationStatus.SUCCEEDED, email=erased_email("chloe@example.org"))
    factories.DonationFactory(campaign=closed_campaign, status=DonationStatus.FAILED, email="dan@example.org")

    assert ledger_tasks.final_report_email_donors.apply(args=[closed_campaign.pk]).get(disable_sync_subtasks=False) == 2
    assert sorted(message.to[0] for message in mail.outbox) == ["alix@example.org", "bao@example.org"]
    assert all(len(message.to) == 1 for message in mail.outbox)  # never one e-mail to all donors
    # Delivered again (acks_late after a crash): nobody gets it twice.
    assert ledger_tasks.final_report_email_donors.apply(args=[closed_campaign.pk]).get(disable_sync_subtasks=False) == 0
    assert len(mail.outbox) == 2


def test_a_confirmation_that_hits_a_mail_server_failure_is_retried_and_sent_once(live_campaign, monkeypatch):
    from trousse.payments import emails

    donation = factories.DonationFactory(campaign=live_campaign, status=DonationStatus.SUCCEEDED)
    real_send = emails.send_mail
    attempts = []

    def flaky_send_mail(*args, **kwargs):
        attempts.append(1)
        if len(attempts) == 1:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return real_send(*args, **kwargs)

    monkeypatch.setattr(emails, "send_mail", flaky_send_mail)
    result = payment_tasks.donation_confirmation_send.apply(args=[donation.pk], throw=False)
    assert result.successful() and len(attempts) == 2
    assert [message.to for message in mail.outbox] == [[donation.email]]


def test_a_stripe_outage_does_not_retry_forever():
    """Backoff with jitter, bounded: a job that cannot succeed ends up failed and visible, not looping.

    Every task the project registers, so a new one cannot be left out of the list.
    """
    from config.celery import app

    app.loader.import_default_modules()
    jobs = [task for name, task in sorted(app.tasks.items()) if name.startswith("trousse.")]
    assert len(jobs) >= 18
    for job in jobs:
        assert job.acks_late, job.name
        assert OSError in job.autoretry_for, job.name
        assert job.retry_backoff and job.retry_jitter and 0 < job.max_retries <= 10, job.name
    # The jobs that call Stripe retry its outages too.
    for job in (
        payment_tasks.donation_confirmation_send,
        payment_tasks.refund_notice_send,
        payment_tasks.refund_process,
        payment_tasks.campaign_refund_all,
        payment_tasks.campaign_end_if_optimum_reached,
    ):
        assert payment_tasks.gateway.GatewayError in job.autoretry_for, job.name


def test_the_periodic_job_ends_a_campaign_whose_optimum_job_was_lost(live_campaign, monkeypatch):
    type(live_campaign).objects.filter(pk=live_campaign.pk).update(raised_cents=live_campaign.optimum_goal_cents)
    monkeypatch.setattr(payment_tasks.services, "donations_reconcile", lambda: {"checked": 0})
    counts = payment_tasks.donations_reconcile.apply().get(disable_sync_subtasks=False)
    assert counts["campaigns_ended"] == 1
    live_campaign.refresh_from_db()
    assert live_campaign.status == Status.SUCCEEDED
    assert payment_tasks.donations_reconcile.apply().get(disable_sync_subtasks=False)["campaigns_ended"] == 0


def test_the_final_report_reaches_each_donor_in_the_language_they_gave_in(closed_campaign):
    factories.DonationFactory(campaign=closed_campaign, status=DonationStatus.SUCCEEDED, email="alix@example.org", language="fr")
    factories.DonationFactory(campaign=closed_campaign, status=DonationStatus.SUCCEEDED, email="jane@example.org", language="en")

    assert ledger_tasks.final_report_email_donors.apply(args=[closed_campaign.pk]).get(disable_sync_subtasks=False) == 2
    by_address = {message.to[0]: message for message in mail.outbox}
    assert by_address["alix@example.org"].subject.startswith("Le bilan du projet")
    assert "Merci pour votre générosité." in by_address["alix@example.org"].body
    assert not by_address["jane@example.org"].subject.startswith("Le bilan du projet")
    assert "Merci pour votre générosité." not in by_address["jane@example.org"].body
