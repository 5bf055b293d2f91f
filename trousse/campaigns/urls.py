from django.urls import path

from . import apis

urlpatterns = [
    path("campaigns/", apis.CampaignPublicListApi.as_view(), name="campaign-list"),
    path("campaigns/create/", apis.CampaignCreateApi.as_view(), name="campaign-create"),
    path("me/campaigns/", apis.CampaignMineListApi.as_view(), name="campaign-mine"),
    path("campaigns/<slug:slug>/", apis.CampaignDetailApi.as_view(), name="campaign-detail"),
    path("campaigns/<slug:slug>/update/", apis.CampaignUpdateApi.as_view(), name="campaign-update"),
    path("campaigns/<slug:slug>/images/", apis.CampaignImageAddApi.as_view(), name="campaign-image-add"),
    path("campaigns/<slug:slug>/images/<int:image_id>/", apis.CampaignImageRemoveApi.as_view(), name="campaign-image-remove"),
    path("campaigns/<slug:slug>/submit/", apis.CampaignSubmitApi.as_view(), name="campaign-submit"),
    path("campaigns/<slug:slug>/cancel/", apis.CampaignCancelApi.as_view(), name="campaign-cancel"),
    path("campaigns/<slug:slug>/news/", apis.CampaignNewsPostApi.as_view(), name="campaign-news-post"),
    path("campaigns/<slug:slug>/goal-exception/", apis.CampaignGoalExceptionApi.as_view(), name="campaign-goal-exception"),
]
