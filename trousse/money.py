"""Euro amounts: integer cents everywhere, Decimal only to read what a person typed."""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import translation
from django.utils.translation import gettext as _

from trousse.exceptions import ApplicationError

# Anything above a billion euros is a typo, not a gift; it would also overflow a bigint column.
MAX_AMOUNT_CENTS = 100_000_000_000


_EUROS = re.compile(r"\d+(?:\.\d*)?|\.\d+")


def parse_euros(text: str | int | Decimal) -> int:
    """Read "12,50", "12.50", "12,50 €" or "1 200" as cents (1250, 120000).

    Refuses negative amounts, more than two decimals and anything that is not a number.
    """
    cleaned = str(text).replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace("€", "").replace(",", ".")
    # Digits and one decimal point only: Decimal alone would also read "1e3" (1 000 €) and "+5".
    if not _EUROS.fullmatch(cleaned):
        raise ApplicationError(_("« %(text)s » n'est pas un montant en euros.") % {"text": text})
    try:
        amount = Decimal(cleaned)
    except InvalidOperation as error:
        raise ApplicationError(_("« %(text)s » n'est pas un montant en euros.") % {"text": text}) from error
    if not amount.is_finite() or amount < 0 or amount * 100 >= MAX_AMOUNT_CENTS:
        raise ApplicationError(_("« %(text)s » n'est pas un montant en euros.") % {"text": text})
    if amount != amount.quantize(Decimal("0.01")):
        raise ApplicationError(_("Un montant a au plus deux décimales (centimes)."))
    return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def format_euros(cents: int | None, *, with_cents: bool | None = None) -> str:
    """In the active language: 1250 -> "12,50 €", 120000 -> "1 200 €" (narrow no-break spaces, as
    French typography wants); in English "€12.50", "€1,200".

    Documents that must stay French (the Cerfa receipt) render with French active; the CSV
    exports for accounting software have their own format (ledger/exports.py).
    """
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    cents = abs(int(cents))
    euros, rest = divmod(cents, 100)
    if with_cents is None:
        with_cents = rest != 0
    if (translation.get_language() or "fr").startswith("en"):
        body = f"{euros:,}.{rest:02d}" if with_cents else f"{euros:,}"
        return f"{sign}€{body}"
    grouped = f"{euros:,}".replace(",", "\u202f")
    body = f"{grouped},{rest:02d}" if with_cents else grouped
    return f"{sign}{body}\u00a0€"


def percent(part_cents: int, whole_cents: int, *, capped: bool = True) -> int:
    """Whole percent, capped at 100 for progress bars; uncapped, for a sentence ("128 % de l'objectif")."""
    if whole_cents <= 0:
        return 0
    share = part_cents * 100 // whole_cents
    return min(100, share) if capped else share
