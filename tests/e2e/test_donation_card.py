"""A donor pays by card in chromium, against localstripe, and sees the campaign's progress bar move."""

import re

import pytest

from tests import factories
from trousse.campaigns.models import Status
from trousse.payments.models import Donation, DonationStatus

pytestmark = [pytest.mark.e2e, pytest.mark.localstripe, pytest.mark.django_db(transaction=True)]


def test_donor_pays_by_card_and_sees_the_progress_bar_move(page, localstripe):
    campaign = factories.CampaignFactory(status=Status.LIVE, minimum_goal_cents=100_000, optimum_goal_cents=150_000)

    page.goto(f"/dons/projet/{campaign.slug}/")
    progress = page.locator("#donation-progress")
    assert progress.get_attribute("aria-valuenow") == "0"

    page.get_by_label("Autre montant (€)").fill("300")
    page.get_by_label("Prénom").fill("Camille")
    page.get_by_label("Nom", exact=True).fill("Martin")
    page.get_by_label("Adresse e-mail").fill("camille@example.org")
    page.get_by_label("Message public (facultatif)").fill("Bonne classe de mer !")
    # localstripe's Stripe.js stand-in renders plain inputs named by their placeholders.
    card = page.locator("#card-element")
    card.get_by_placeholder("number").fill("4242424242424242")
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("34")
    card.get_by_placeholder("cvc").fill("123")
    card.get_by_placeholder("postal_code").fill("79000")
    page.get_by_role("button", name="Donner").click()

    page.wait_for_url(re.compile(r"/dons/[0-9a-f-]{36}/$"))
    assert page.get_by_role("heading", name="Merci pour votre don !").is_visible()
    # 300 € of a 1 500 € optimum: the bar moved to 20 %.
    assert page.locator("#donation-progress").get_attribute("aria-valuenow") == "20"
    assert "300" in page.get_by_test_id("raised").inner_text()

    donation = Donation.objects.get()
    assert donation.status == DonationStatus.SUCCEEDED and donation.amount_cents == 30_000
    # Back on the campaign page: its progress box moved too (300 € of a 1 000 € minimum: 30 %).
    page.goto(f"/projets/{campaign.slug}/")
    assert page.locator("#campaign-progress").get_attribute("aria-valuenow") == "30"
    assert "300" in page.get_by_test_id("campaign-raised").inner_text()
    assert page.locator("#donation-progress").count() == 0  # one progress bar on the page, not two
    assert page.get_by_text("Bonne classe de mer !").is_visible()


def _fill_donor_with_a_short_card_number(page, amount_label):
    page.get_by_label(amount_label).fill("30")
    card = page.locator("#card-element")
    card.get_by_placeholder("number").fill("4242")  # too short: localstripe answers 400 "Bad request"
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("34")
    card.get_by_placeholder("cvc").fill("123")


def test_a_card_stripe_refuses_is_explained_in_french_not_with_stripes_english(page, localstripe):
    campaign = factories.CampaignFactory(status=Status.LIVE)
    page.goto(f"/dons/projet/{campaign.slug}/")
    _fill_donor_with_a_short_card_number(page, "Autre montant (€)")
    page.get_by_role("button", name="Donner").click()

    alert = page.locator("[data-form-error]")
    alert.wait_for(state="visible")
    assert alert.inner_text() == "Vérifiez les données de votre carte."
    assert page.locator('[data-field-error="card"]').inner_text() == "Carte refusée ou incomplète."
    assert "Bad request" not in page.content()
    assert not Donation.objects.exists()


def test_the_english_page_explains_it_in_english(browser, live_server, localstripe):
    campaign = factories.CampaignFactory(status=Status.LIVE)
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    try:
        page = context.new_page()
        page.goto(f"/dons/projet/{campaign.slug}/")
        _fill_donor_with_a_short_card_number(page, "Other amount (€)")
        page.get_by_role("button", name="Donate").click()
        alert = page.locator("[data-form-error]")
        alert.wait_for(state="visible")
        assert alert.inner_text() == "Check your card details."
        assert page.locator('[data-field-error="card"]').inner_text() == "Card declined or incomplete."
        assert "Bad request" not in page.content() and "Vérifiez" not in page.content()
    finally:
        context.close()
