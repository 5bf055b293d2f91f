"""Why a payment failed, in the donor's language, from the code Stripe gave.

Stripe's `message` is English whatever the page's language, so we keep its code
(`decline_code` when the bank gave one, else the error's `code`) and say the
reason ourselves, translated when the page is shown. Codes that could help a
fraudster (lost_card, stolen_card, pickup_card, fraudulent...) fall through to
the generic sentence on purpose, as Stripe advises.
"""

from django.utils.translation import gettext_lazy as _

# Not one of Stripe's: the page sent a payment method Stripe does not know (gateway._unknown_payment_method).
UNKNOWN_PAYMENT_METHOD = "unknown_payment_method"

# Said whatever the payment method.
COMMON_REASONS = {
    "insufficient_funds": _("Le compte n'est pas suffisamment approvisionné pour ce paiement."),
    "processing_error": _("Une erreur est survenue pendant le traitement du paiement : réessayez dans un instant."),
}
_CARD_DECLINED = _("Votre carte a été refusée par votre banque.")
_AUTHENTICATION = _("La vérification demandée par votre banque (3-D Secure) n'a pas abouti.")
_CVC = _("Le cryptogramme (les 3 chiffres au dos de la carte) est incorrect.")
_NUMBER = _("Le numéro de carte est incorrect.")
CARD_REASONS = {
    "card_declined": _CARD_DECLINED,
    "generic_decline": _CARD_DECLINED,
    "do_not_honor": _CARD_DECLINED,
    "expired_card": _("Votre carte a expiré."),
    "incorrect_cvc": _CVC,
    "invalid_cvc": _CVC,
    "incorrect_number": _NUMBER,
    "invalid_number": _NUMBER,
    "authentication_required": _AUTHENTICATION,
    "payment_intent_authentication_failure": _AUTHENTICATION,
    UNKNOWN_PAYMENT_METHOD: _("Ce moyen de paiement n'a pas été reconnu : vérifiez votre carte et réessayez."),
}
# SEPA Direct Debit's failure codes. A card's code on a debit (localstripe says card_declined
# for its failing IBAN) is not repeated to the donor: the debit was refused, the generic sentence.
_ACCOUNT_UNKNOWN = _("Ce compte bancaire est clos ou n'existe pas : vérifiez l'IBAN.")
SEPA_REASONS = {
    "account_closed": _ACCOUNT_UNKNOWN,
    "no_account": _ACCOUNT_UNKNOWN,
    "invalid_account_number": _ACCOUNT_UNKNOWN,
    "debit_not_authorized": _("Votre banque n'autorise pas ce prélèvement sur ce compte."),
}

GENERIC_CARD = _("Votre banque a refusé le paiement.")
GENERIC_SEPA = _("Votre banque a refusé le prélèvement.")


def failure_reason(code: str, *, method: str = "card") -> str:
    """The sentence shown to the donor for a failure `code` (any code, even unknown or empty)."""
    code = (code or "").strip().lower()
    sepa = method == "sepa_debit"
    reason = (SEPA_REASONS if sepa else CARD_REASONS).get(code) or COMMON_REASONS.get(code)
    if reason is None:
        reason = GENERIC_SEPA if sepa else GENERIC_CARD
    return str(reason)
