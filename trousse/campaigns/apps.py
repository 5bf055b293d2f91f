from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "trousse.campaigns"
    label = "campaigns"
    verbose_name = _("Projets de classe")
