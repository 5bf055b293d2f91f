"""The donation form's script speaks the page's language: its messages come from the page, not from donate.js."""

import html
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse


pytestmark = pytest.mark.django_db

SCRIPT = Path(settings.BASE_DIR) / "frontend" / "static" / "frontend" / "donate.js"
MESSAGES_TAG = re.compile(r"<script [^>]*data-donation-messages[^>]*>", re.DOTALL)
ATTRIBUTE = re.compile(r'data-([a-z-]+)="([^"]*)"')

FRENCH = {
    "card-check": "Vérifiez les données de votre carte.",
    "card-invalid": "Carte refusée ou incomplète.",
    "card-number": "Le numéro de carte est incomplet ou incorrect.",
    "card-declined": "Votre carte a été refusée par votre banque.",
    "not-saved": "Le don n'a pas pu être enregistré.",
    "not-started": "Le paiement n'a pas pu être lancé. Réessayez dans un instant.",
}
ENGLISH = {
    "card-check": "Check your card details.",
    "card-invalid": "Card declined or incomplete.",
    "card-number": "The card number is incomplete or incorrect.",
    "card-declined": "Your card was declined by your bank.",
    "not-saved": "The donation could not be saved.",
    "not-started": "The payment could not be started. Try again in a moment.",
}


def _script_messages(content: str) -> dict[str, str]:
    """The data-* attributes of the donate.js tag, unescaped as the browser reads them."""
    tags = MESSAGES_TAG.findall(content)
    assert len(tags) == 1, "one donate.js tag carrying the messages"
    return {name: html.unescape(value) for name, value in ATTRIBUTE.findall(tags[0])}


@pytest.mark.parametrize("url_name", ["campaign_detail", "donation_page"])
def test_the_french_page_gives_the_script_french_messages(client, live_campaign, url_name):
    content = client.get(reverse(url_name, args=[live_campaign.slug]), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    messages = _script_messages(content)
    assert {name: messages.get(name) for name in FRENCH} == FRENCH


@pytest.mark.parametrize("url_name", ["campaign_detail", "donation_page"])
def test_the_english_page_gives_the_script_english_messages(client, live_campaign, url_name):
    content = client.get(reverse(url_name, args=[live_campaign.slug]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # Then the French page again: the per-language copies are not mixed up.
    french = client.get(reverse(url_name, args=[live_campaign.slug]), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    messages = _script_messages(content)
    assert {name: messages.get(name) for name in ENGLISH} == ENGLISH
    assert not set(FRENCH.values()) & set(messages.values())
    assert _script_messages(french)["card-check"] == FRENCH["card-check"]


def test_every_message_the_script_reads_is_on_the_page(client, live_campaign):
    """donate.js reads `text.someName` (dataset: data-some-name); each must be on the tag, and the script holds no French."""
    source = SCRIPT.read_text(encoding="utf-8")
    read = set(re.findall(r"\btext\.([A-Za-z]+)", source)) | set(re.findall(r':\s*"(card[A-Z][A-Za-z]*)"', source))
    wanted = {re.sub(r"[A-Z]", lambda m: "-" + m.group(0).lower(), name) for name in read}
    messages = _script_messages(client.get(reverse("donation_page", args=[live_campaign.slug])).content.decode())
    assert {"card-check", "card-number", "card-expiry", "card-cvc", "not-saved", "not-started"} <= wanted
    assert wanted <= set(messages), f"missing on the page: {wanted - set(messages)}"
    assert all(messages[name] for name in wanted)
    for french in FRENCH.values():
        assert french not in source
    assert "error.message" not in source, "Stripe.js's own text is English: the script shows ours"
