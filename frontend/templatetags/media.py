"""{{ name|media_url }}: the address of a stored picture from its file name alone.

The public listing reads its covers' file names in its own query (campaign_cards_public),
not as FieldFiles; the pictures' storage builds the address, as FieldFile.url does.
"""

from django import template

from trousse.campaigns.models import CampaignImage

register = template.Library()


@register.filter
def media_url(name: str | None) -> str:
    return CampaignImage._meta.get_field("thumbnail").storage.url(name) if name else ""
