from django.urls import path

from . import apis

urlpatterns = [
    path("me/", apis.MeApi.as_view(), name="me"),
    path("auth/token/", apis.AuthTokenApi.as_view(), name="auth-token"),
    path("auth/token/revoke/", apis.AuthTokenRevokeApi.as_view(), name="auth-token-revoke"),
]
