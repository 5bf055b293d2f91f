from django.urls import path

from . import apis

urlpatterns = [
    path("privacy/access-log/", apis.AccessLogListApi.as_view(), name="privacy-access-log"),
    path("privacy/campaigns/<slug:slug>/picture-retention/", apis.PictureRetentionApi.as_view(), name="privacy-picture-retention"),
]
