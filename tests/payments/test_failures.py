"""Why a payment failed, said from Stripe's code in the page's language (trousse/payments/failures.py)."""

import pytest
from django.utils import translation

from trousse.payments import gateway
from trousse.payments.failures import failure_reason


@pytest.mark.parametrize(
    ("code", "method", "reason"),
    [
        ("card_declined", "card", "Votre carte a été refusée par votre banque."),
        ("insufficient_funds", "card", "Le compte n'est pas suffisamment approvisionné pour ce paiement."),
        ("insufficient_funds", "sepa_debit", "Le compte n'est pas suffisamment approvisionné pour ce paiement."),
        ("expired_card", "card", "Votre carte a expiré."),
        ("incorrect_cvc", "card", "Le cryptogramme (les 3 chiffres au dos de la carte) est incorrect."),
        ("authentication_required", "card", "La vérification demandée par votre banque (3-D Secure) n'a pas abouti."),
        ("payment_intent_authentication_failure", "card", "La vérification demandée par votre banque (3-D Secure) n'a pas abouti."),
        ("processing_error", "card", "Une erreur est survenue pendant le traitement du paiement : réessayez dans un instant."),
        ("account_closed", "sepa_debit", "Ce compte bancaire est clos ou n'existe pas : vérifiez l'IBAN."),
        # A card's code on a debit: the debit was refused, nothing about a card.
        ("card_declined", "sepa_debit", "Votre banque a refusé le prélèvement."),
        # Unknown, empty, or one not to tell a possible fraudster: the generic sentence.
        ("stolen_card", "card", "Votre banque a refusé le paiement."),
        ("", "card", "Votre banque a refusé le paiement."),
        ("", "sepa_debit", "Votre banque a refusé le prélèvement."),
    ],
)
def test_each_code_gets_its_french_sentence(code, method, reason):
    with translation.override("fr"):
        assert failure_reason(code, method=method) == reason


def test_the_sentence_follows_the_active_language():
    with translation.override("en"):
        assert failure_reason("expired_card") == "Your card has expired."
        assert failure_reason("", method="sepa_debit") == "Your bank refused the direct debit."


def test_the_banks_decline_code_wins_over_stripes_generic_code():
    intent = gateway.payment_intent_from_dict(
        {"id": "pi_1", "status": "requires_payment_method", "last_payment_error": {"code": "card_declined", "decline_code": "insufficient_funds", "message": "Your card has insufficient funds."}}
    )
    assert (intent.failure_code, intent.failure_message) == ("insufficient_funds", "Your card has insufficient funds.")
    assert gateway.payment_intent_from_dict({"id": "pi_2", "status": "succeeded", "last_payment_error": None}).failure_code == ""
