"""Donors' data (download, erasure), pupils' pictures, the staff access log (owned by the privacy work)."""

from django.urls import path

from frontend.views import privacy

urlpatterns = [
    path("mes-donnees/", privacy.donor_data_request, name="privacy_request"),
    path("mes-donnees/envoye/", privacy.donor_data_request_sent, name="privacy_request_sent"),
    path("mes-donnees/lien/<str:token>/", privacy.donor_data, name="privacy_donor_data"),
    path("mes-donnees/lien/<str:token>/donnees.json", privacy.donor_data_download, name="privacy_donor_data_download"),
    path("mes-donnees/lien/<str:token>/effacer/", privacy.donor_data_erase, name="privacy_donor_data_erase"),
    path("espace/projets/<slug:slug>/photos/conservation/", privacy.picture_retention, name="picture_retention"),
    path("espace/journal-des-acces/", privacy.access_log, name="personal_data_access_log"),
]
