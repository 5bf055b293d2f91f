import pytest
from django.core.exceptions import ValidationError

from trousse.accounts.validators import validate_iban, validate_siret, validate_uai
from trousse.money import format_euros, parse_euros
from trousse.exceptions import ApplicationError
from tests.factories import COOPERATIVE_IBANS


def test_uai_with_wrong_check_letter_is_refused():
    from trousse.accounts.validators import uai_check_letter

    good = uai_check_letter("0790001")
    bad = "A" if good != "A" else "B"
    with pytest.raises(ValidationError, match="lettre de contrôle"):
        validate_uai("0790001" + bad)


def test_real_uai_codes_are_accepted():
    # Public codes of the national directory of schools.
    for code in ["0750654D", "0750655E"]:  # lycées Henri-IV and Louis-le-Grand
        try:
            validate_uai(code)
        except ValidationError:
            pytest.fail(f"{code} is a valid UAI")


@pytest.mark.parametrize("iban", COOPERATIVE_IBANS)
def test_factory_ibans_are_valid(iban):
    validate_iban(iban)


def test_iban_with_bad_checksum_is_refused():
    with pytest.raises(ValidationError):
        validate_iban("FR7630006000011234567890180")


def test_siret_checksum():
    validate_siret("73282932000074")
    with pytest.raises(ValidationError):
        validate_siret("73282932000075")


@pytest.mark.parametrize(
    ("typed", "cents"), [("12,50", 1250), ("12.5", 1250), ("1 200", 120000), ("5 €", 500), ("0,01", 1), ("12,", 1200), (",5", 50)]
)
def test_parse_euros(typed, cents):
    assert parse_euros(typed) == cents


@pytest.mark.parametrize("typed", ["abc", "-5", "1,234", "NaN", "1e400", "", "Infinity", "1e3", "+5", "1_000"])
def test_parse_euros_refuses_nonsense(typed):
    with pytest.raises(ApplicationError):
        parse_euros(typed)


def test_format_euros_in_english():
    from django.utils import translation

    with translation.override("en"):
        assert format_euros(1250) == "€12.50"
        assert format_euros(111_600) == "€1,116"
        assert format_euros(-22_750, with_cents=True) == "-€227.50"
    assert format_euros(1250) == "12,50\u00a0€"


def test_format_euros_french_typography():
    assert format_euros(1250) == "12,50\u00a0€"
    assert format_euros(120000) == "1\u202f200\u00a0€"
    assert format_euros(120000, with_cents=True) == "1\u202f200,00\u00a0€"
