"""The privacy API: the staff access log, and the teacher's choice on pupils' pictures."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from trousse.campaigns.selectors import campaign_get_for_actor, is_campaign_insider

from . import selectors, services

TAG = ["données personnelles"]


class AccessLogListApi(ListAPIView):
    """Who read donors' personal data: federation admins see all, AD treasurers their AD's (404 for anyone else)."""

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        created_at = serializers.DateTimeField()
        actor_email = serializers.EmailField(source="actor.email")
        purpose = serializers.CharField()
        path = serializers.CharField()
        ad = serializers.CharField(source="ad.number", allow_null=True, default=None)
        campaign = serializers.CharField(source="campaign.slug", allow_null=True, default=None)
        donation_id = serializers.IntegerField(allow_null=True)
        subject_email = serializers.CharField()

    serializer_class = OutputSerializer

    def get_queryset(self):
        if not selectors.can_read_access_log(self.request.user):
            raise Http404
        ad = None
        if self.request.query_params.get("ad"):
            ad = get_object_or_404(selectors.access_log_ads(actor=self.request.user), number=self.request.query_params["ad"])
        return selectors.personal_data_access_list_for_actor(actor=self.request.user, ad=ad)

    @extend_schema(tags=TAG, parameters=[OpenApiParameter("ad", str, description="Numéro de l'AD (facultatif)")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class PictureRetentionApi(APIView):
    """The campaign's teacher keeps the pupils' pictures after the project, with the families' consent."""

    class InputSerializer(serializers.Serializer):
        keep_with_consent = serializers.BooleanField()

    class OutputSerializer(serializers.Serializer):
        keep_with_consent = serializers.BooleanField()
        confirmed_at = serializers.DateTimeField(allow_null=True)
        deleted_after = serializers.DateTimeField(allow_null=True)

    def _output(self, campaign):
        retention = selectors.picture_retention_for(campaign=campaign)
        return self.OutputSerializer(
            {
                "keep_with_consent": bool(retention and retention.keep_with_consent),
                "confirmed_at": retention.confirmed_at if retention else None,
                "deleted_after": None if retention and retention.keep_with_consent else selectors.campaign_pictures_deleted_after(campaign=campaign),
            }
        ).data

    def _campaign(self, request, slug):
        campaign = campaign_get_for_actor(actor=request.user, slug=slug)
        if not is_campaign_insider(request.user, campaign):
            raise Http404
        return campaign

    @extend_schema(tags=TAG, responses=OutputSerializer)
    def get(self, request, slug):
        return Response(self._output(self._campaign(request, slug)))

    @extend_schema(tags=TAG, request=InputSerializer, responses=OutputSerializer)
    def put(self, request, slug):
        campaign = self._campaign(request, slug)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.picture_retention_set(actor=request.user, campaign=campaign, keep_with_consent=data.validated_data["keep_with_consent"])
        return Response(self._output(campaign))


