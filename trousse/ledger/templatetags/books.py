"""{% public_spending campaign as spending %}: the public page's "where the money went" (frontend/books/_public_spending.html)."""

from django import template

from trousse.ledger.selectors import campaign_public_spending

register = template.Library()


@register.simple_tag
def public_spending(campaign):
    """None unless the campaign is funded or closed: nothing to show before the money reached the class."""
    if campaign is None:
        return None
    return campaign_public_spending(campaign=campaign)
