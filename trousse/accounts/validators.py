"""Identifiers of French schools and bank accounts."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

# The UAI (formerly RNE) check letter: the 7 digits modulo 23 index this
# alphabet, which leaves out I, O and Q.
UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def uai_check_letter(digits: str) -> str:
    return UAI_LETTERS[int(digits) % 23]


def validate_uai(value: str) -> None:
    value = (value or "").strip().upper()
    if len(value) != 8 or not value[:7].isdigit() or not value[7].isalpha():
        raise ValidationError(_("Un code UAI a 7 chiffres suivis d'une lettre (ex. 0790001A)."), code="uai_format")
    if value[7] != uai_check_letter(value[:7]):
        raise ValidationError(_("La lettre de contrôle du code UAI %(uai)s est fausse."), params={"uai": value}, code="uai_check")


def validate_iban(value: str) -> None:
    try:
        IBAN(value)
    except SchwiftyException as error:
        raise ValidationError(_("IBAN invalide : %(error)s"), params={"error": error}, code="iban") from error


def validate_bic(value: str) -> None:
    try:
        BIC(value)
    except SchwiftyException as error:
        raise ValidationError(_("BIC invalide : %(error)s"), params={"error": error}, code="bic") from error


def validate_siret(value: str) -> None:
    digits = (value or "").replace(" ", "")
    if len(digits) != 14 or not digits.isdigit():
        raise ValidationError(_("Un SIRET a 14 chiffres."), code="siret_format")
    # Luhn checksum (La Poste's establishments excepted, none of which donate here).
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = int(char)
        if index % 2 == 1:
            number *= 2
            if number > 9:
                number -= 9
        total += number
    if total % 10 != 0:
        raise ValidationError(_("Ce SIRET n'existe pas (clé de contrôle fausse)."), code="siret_check")
