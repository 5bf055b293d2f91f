from django.urls import path

from . import apis

urlpatterns = [
    path("donations/", apis.DonationCreateApi.as_view(), name="donation_create"),
    path("donations/<uuid:public_id>/", apis.DonationStatusApi.as_view(), name="donation_status"),
    path("donations/<uuid:public_id>/refunds/", apis.DonationRefundApi.as_view(), name="donation_refund"),
    path("campaigns/<slug:slug>/donations/", apis.CampaignDonationListApi.as_view(), name="campaign_donation_list"),
]
