from django.urls import path

from frontend.views import donations

# Everything about giving lives under /dons/ so that it never clashes with the campaign pages' URLs.
urlpatterns = [
    path("dons/projet/<slug:slug>/", donations.donation_page, name="donation_page"),
    path("dons/projet/<slug:slug>/donner/", donations.donation_create, name="donation_create"),
    path("dons/projet/<slug:slug>/donateurs/", donations.campaign_donors, name="campaign_donors"),
    path("dons/projet/<slug:slug>/dons.csv", donations.campaign_donations_csv, name="campaign_donations_csv"),
    path("dons/<uuid:public_id>/", donations.donation_return, name="donation_return"),
    path("dons/<uuid:public_id>/rembourser/", donations.donation_refund, name="donation_refund"),
]
