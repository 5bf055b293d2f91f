"""Refunds through localstripe: a treasurer's single refund, and a failed campaign's refund of every donor."""

import pytest
from django.core import mail
from django.urls import reverse

from tests import factories
from tests.payments.conftest import donation_form
from tests.payments.helpers import assert_raised_matches_ledger, localstripe_card_token
from trousse.campaigns.models import Status
from trousse.payments import gateway, services
from trousse.payments.models import Donation, DonationStatus, Refund, RefundStatus

pytestmark = [pytest.mark.localstripe, pytest.mark.django_db]


def _paid_donation(client, campaign, localstripe, capture, amount="50", email="camille.martin@example.org"):
    card = localstripe_card_token(localstripe, "4242424242424242")["card"]["id"]
    with capture(execute=True):
        response = client.post(
            reverse("donation_create", kwargs={"slug": campaign.slug}),
            donation_form(card_payment_method=card, amount_other=amount, email=email),
            HTTP_ACCEPT="application/json",
        )
    donation = Donation.objects.get(public_id=response.json()["public_id"])
    assert donation.status == DonationStatus.SUCCEEDED
    return donation


def test_treasurer_refunds_part_then_the_rest_never_more(client, live_campaign, treasurer, localstripe, django_capture_on_commit_callbacks):
    donation = _paid_donation(client, live_campaign, localstripe, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    client.force_login(treasurer)
    url = f"/api/v1/donations/{donation.public_id}/refunds/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"amount_cents": 2000, "reason": "Don en double"}, content_type="application/json")
    assert response.status_code == 202, response.content
    donation.refresh_from_db()
    assert donation.status == DonationStatus.PARTIALLY_REFUNDED and donation.refunded_cents == 2000
    refund = Refund.objects.get(donation=donation)
    assert refund.status == RefundStatus.SUCCEEDED and refund.stripe_refund_id.startswith("re_")
    assert_raised_matches_ledger(live_campaign)
    assert live_campaign.raised_cents == 3000
    notices = [m for m in mail.outbox if m.subject.startswith("Remboursement")]
    assert len(notices) == 1 and "Don en double" in notices[0].body

    too_much = client.post(url, {"amount_cents": 3001, "reason": "Erreur"}, content_type="application/json")
    assert too_much.status_code == 400 and "30" in too_much.json()["detail"]
    with django_capture_on_commit_callbacks(execute=True):
        rest = client.post(url, {"reason": "Le donateur a changé d'avis"}, content_type="application/json")
    assert rest.status_code == 202 and rest.json()["amount_cents"] == 3000
    donation.refresh_from_db()
    assert donation.status == DonationStatus.REFUNDED and donation.refunded_cents == 5000
    assert_raised_matches_ledger(live_campaign)
    assert live_campaign.raised_cents == 0 and live_campaign.donors_count == 0
    again = client.post(url, {"reason": "Encore"}, content_type="application/json")
    assert again.status_code == 409


def test_only_the_treasurer_refunds(client, live_campaign, localstripe, animator, other_ad, django_capture_on_commit_callbacks):
    donation = _paid_donation(client, live_campaign, localstripe, django_capture_on_commit_callbacks)
    url = f"/api/v1/donations/{donation.public_id}/refunds/"
    client.force_login(animator)  # sees the donation, may not refund it
    assert client.post(url, {"reason": "x"}, content_type="application/json").status_code == 403
    client.force_login(factories.treasurer_of(other_ad))  # another AD: must not know it exists
    assert client.post(url, {"reason": "x"}, content_type="application/json").status_code == 404
    assert not Refund.objects.exists()


def test_failed_campaign_refunds_every_donor_and_resumes_after_a_crash(client, live_campaign, localstripe, django_capture_on_commit_callbacks):
    first = _paid_donation(client, live_campaign, localstripe, django_capture_on_commit_callbacks, amount="40", email="a@example.org")
    second = _paid_donation(client, live_campaign, localstripe, django_capture_on_commit_callbacks, amount="25", email="b@example.org")
    type(live_campaign).objects.filter(pk=live_campaign.pk).update(status=Status.FAILED)

    # A crash after Stripe refunded `first` but before we saved it: the refund row is still pending.
    crashed = Refund.objects.create(donation=first, amount_cents=first.amount_cents, reason="Projet non financé")
    gateway.refund_create(refund_id=crashed.pk, payment_intent_id=first.stripe_payment_intent_id, amount_cents=first.amount_cents, metadata={})

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        counts = services.campaign_refund_all(campaign_id=live_campaign.pk)
    assert counts["succeeded"] == 2
    for donation in (first, second):
        donation.refresh_from_db()
        assert donation.status == DonationStatus.REFUNDED
        remote = gateway.client().v1.refunds.list(params={"payment_intent": donation.stripe_payment_intent_id}).data
        assert sum(r.amount for r in remote) == donation.amount_cents  # Stripe was not asked twice
    assert_raised_matches_ledger(live_campaign)
    assert live_campaign.raised_cents == 0
    assert sorted(m.to[0] for m in mail.outbox if m.subject.startswith("Remboursement")) == ["a@example.org", "b@example.org"]
    # Running it again does nothing more.
    assert services.campaign_refund_all(campaign_id=live_campaign.pk)["created"] == 0


def test_refund_all_task_is_registered_under_the_agreed_name():
    from config.celery import app

    assert "trousse.payments.tasks.campaign_refund_all" in app.tasks


def test_money_already_paid_to_the_cooperative_cannot_be_refunded_from_the_fund(client, live_campaign, treasurer, localstripe, django_capture_on_commit_callbacks):
    from trousse.ledger.models import AccountKind, TransactionKind
    from trousse.ledger.selectors import campaign_fund_balance
    from trousse.ledger.services import ledger_account, ledger_post

    donation = _paid_donation(client, live_campaign, localstripe, django_capture_on_commit_callbacks)
    # The whole fund went to the cooperative (a disbursement, as the books post it).
    ledger_post(
        kind=TransactionKind.DISBURSEMENT,
        key="test-disbursement",
        reference=f"campaign:{live_campaign.pk}",
        entries=[
            (ledger_account(AccountKind.CAMPAIGN_FUND, campaign=live_campaign), -donation.amount_cents),
            (ledger_account(AccountKind.COOPERATIVE, cooperative=live_campaign.cooperative), donation.amount_cents),
        ],
    )
    client.force_login(treasurer)
    response = client.post(f"/api/v1/donations/{donation.public_id}/refunds/", {"amount_cents": 1000, "reason": "Erreur"}, content_type="application/json")
    assert response.status_code == 409
    assert "versé à la coopérative" in response.json()["detail"]
    assert not Refund.objects.exists() and campaign_fund_balance(campaign=live_campaign) == 0
