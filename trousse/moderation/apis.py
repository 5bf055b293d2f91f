"""The animator's API: the queue, the three decisions, the diff; the audit trail for everyone working on a campaign."""

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from trousse.accounts.selectors import actor_scope
from trousse.campaigns import selectors as campaign_selectors
from trousse.campaigns.models import Campaign

from . import selectors, services
from .models import Review

TAG = ["relecture"]


def _campaign(request, slug: str) -> Campaign:
    return campaign_selectors.campaign_get_for_actor(actor=request.user, slug=slug)


class ReviewOutput(serializers.Serializer):
    id = serializers.IntegerField()
    decision = serializers.CharField()
    message = serializers.CharField()
    campaign_status = serializers.CharField(source="campaign.status")
    created_at = serializers.DateTimeField()
    field_comments = serializers.SerializerMethodField()

    class Meta:
        ref_name = "Review"

    def get_field_comments(self, review: Review) -> dict[str, str]:
        return {comment.field: comment.body for comment in review.comments.all()}


class ReviewQueueApi(APIView):
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    class OutputSerializer(serializers.Serializer):
        slug = serializers.SlugField()
        title = serializers.CharField()
        summary = serializers.CharField()
        cooperative = serializers.CharField(source="cooperative.name")
        city = serializers.CharField(source="cooperative.city")
        department = serializers.CharField(source="cooperative.ad.number")
        teacher = serializers.CharField()
        waiting_since = serializers.DateTimeField(allow_null=True)
        waiting_seconds = serializers.SerializerMethodField()
        is_resubmission = serializers.BooleanField()

        class Meta:
            ref_name = "ReviewQueueItem"

        def get_waiting_seconds(self, campaign) -> int:
            if campaign.waiting_since is None:
                return 0
            return int((timezone.now() - campaign.waiting_since).total_seconds())

    @extend_schema(tags=TAG, summary="Projets à relire de mon AD, les plus anciens d'abord", responses=OutputSerializer(many=True))
    def get(self, request):
        scope = actor_scope(request.user)
        if not (scope.animator_of or scope.is_federation_admin):
            raise PermissionDenied(_("La file de relecture est réservée aux animateur·rices d'AD."))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.review_queue(actor=request.user), request, view=self)
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)


class ReviewApproveApi(APIView):
    class InputSerializer(serializers.Serializer):
        comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)

        class Meta:
            ref_name = "ReviewApproveInput"

    @extend_schema(tags=TAG, summary="Valider un projet", request=InputSerializer, responses=ReviewOutput)
    def post(self, request, slug: str):
        campaign = _campaign(request, slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = services.review_approve(actor=request.user, campaign=campaign, comment=serializer.validated_data["comment"])
        return Response(ReviewOutput(review).data)


class ReviewRequestChangesApi(APIView):
    class InputSerializer(serializers.Serializer):
        field_comments = serializers.DictField(child=serializers.CharField(allow_blank=True, max_length=5000), required=False, default=dict)
        message = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)

        class Meta:
            ref_name = "ReviewRequestChangesInput"

    @extend_schema(
        tags=TAG,
        summary="Demander des modifications, champ par champ",
        description="`field_comments` associe un champ (title, summary, description, budget_lines, images…) à une remarque.",
        request=InputSerializer,
        responses=ReviewOutput,
    )
    def post(self, request, slug: str):
        campaign = _campaign(request, slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = services.review_request_changes(actor=request.user, campaign=campaign, **serializer.validated_data)
        return Response(ReviewOutput(review).data)


class ReviewRejectApi(APIView):
    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=5000)

        class Meta:
            ref_name = "ReviewRejectInput"

    @extend_schema(tags=TAG, summary="Refuser un projet", request=InputSerializer, responses=ReviewOutput)
    def post(self, request, slug: str):
        campaign = _campaign(request, slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = services.review_reject(actor=request.user, campaign=campaign, reason=serializer.validated_data["reason"])
        return Response(ReviewOutput(review).data)


class CampaignDiffApi(APIView):
    class OutputSerializer(serializers.Serializer):
        field = serializers.CharField()
        label = serializers.CharField()
        before = serializers.CharField()
        after = serializers.CharField()

        class Meta:
            ref_name = "FieldChange"

    @extend_schema(tags=TAG, summary="Ce qui a changé depuis la dernière validation", responses=OutputSerializer(many=True))
    def get(self, request, slug: str):
        campaign = _campaign(request, slug)
        if not (campaign_selectors.is_campaign_reviewer(request.user, campaign) or campaign_selectors.is_campaign_teacher(request.user, campaign)):
            raise PermissionDenied(_("Les changements sont visibles de l'enseignant·e et de l'animateur·rice du projet."))
        return Response(self.OutputSerializer(selectors.campaign_diff(campaign=campaign), many=True).data)


class ReviewCommentsApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="Remarques de relecture en cours, par champ",
        description="`__all__` porte le message général.",
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, slug: str):
        campaign = _campaign(request, slug)
        if not campaign_selectors.can_see_audit_trail(request.user, campaign):
            raise PermissionDenied(_("Les remarques sont réservées à la coopérative et à l'AD du projet."))
        return Response(selectors.open_review_comments(campaign=campaign))


class CampaignAuditTrailApi(APIView):
    class OutputSerializer(serializers.Serializer):
        at = serializers.DateTimeField()
        actor = serializers.CharField()
        from_status = serializers.CharField()
        to_status = serializers.CharField()
        from_label = serializers.CharField()
        to_label = serializers.CharField()
        comment = serializers.CharField()
        decision = serializers.CharField()
        field_comments = serializers.SerializerMethodField()

        class Meta:
            ref_name = "AuditEntry"

        def get_field_comments(self, entry) -> list[dict[str, str]]:
            return [{"field": name, "label": label, "comment": body} for name, label, body in entry.field_comments]

    @extend_schema(tags=TAG, summary="Historique du projet : qui, quand, quoi, pourquoi", responses=OutputSerializer(many=True))
    def get(self, request, slug: str):
        campaign = _campaign(request, slug)
        return Response(self.OutputSerializer(selectors.campaign_audit_trail(actor=request.user, campaign=campaign), many=True).data)
