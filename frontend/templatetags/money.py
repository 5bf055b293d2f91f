from django import template

from trousse.money import format_euros, percent

register = template.Library()


@register.filter
def euros(cents):
    """{{ campaign.raised_cents|euros }} -> "1 250 €"."""
    return format_euros(cents)


@register.filter
def euros_cents(cents):
    """Always with cents: "12,50 €", "1 250,00 €" (receipts, books)."""
    return format_euros(cents, with_cents=True)


@register.simple_tag
def progress_percent(part_cents, whole_cents, capped=True):
    return percent(part_cents or 0, whole_cents or 0, capped=capped)
