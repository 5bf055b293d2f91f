"""The animator's API: the queue, the three decisions, the diff, a live campaign's pending change;
the audit trail for everyone working on a campaign."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
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
from trousse.campaigns.apis import CampaignRevisionOutput
from trousse.campaigns.models import REVISED_STATUSES, Campaign

from . import selectors, services
from .models import Review

TAG = ["relecture"]


def _campaign(request, slug: str) -> Campaign:
    return campaign_selectors.campaign_get_for_actor(actor=request.user, slug=slug)


# Decisions on an approved or live campaign are on its pending revision: they name the version read.
REVISION_VERSION_HELP = (
    "Pour un projet validé ou en collecte (sa modification en attente) : la `version` de la modification relue "
    "(GET …/review/revision/). Obligatoire dans ce cas ; 409 si l'enseignant·e l'a changée depuis."
)


def _revision_version_field():
    return serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**31 - 1, default=None, help_text=REVISION_VERSION_HELP)


class ReviewOutput(serializers.Serializer):
    id = serializers.IntegerField()
    decision = serializers.CharField()
    message = serializers.CharField()
    campaign_status = serializers.CharField(source="campaign.status")
    revision_version = serializers.IntegerField(
        source="revision.version", allow_null=True, help_text="La version de la modification décidée ; null pour un projet en relecture."
    )
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
        is_revision = serializers.BooleanField(help_text="Une modification d'un projet validé ou en collecte : il reste en ligne pendant la relecture.")
        revision_version = serializers.IntegerField(allow_null=True, help_text="La version de cette modification, à renvoyer avec la décision.")

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
        revision_version = _revision_version_field()

        class Meta:
            ref_name = "ReviewApproveInput"

    @extend_schema(
        tags=TAG,
        summary="Valider un projet, ou la modification d'un projet validé ou en collecte",
        description="Une modification validée est publiée aussitôt ; le projet garde son état.",
        request=InputSerializer,
        responses=ReviewOutput,
    )
    def post(self, request, slug: str):
        campaign = _campaign(request, slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = services.review_approve(actor=request.user, campaign=campaign, **serializer.validated_data)
        return Response(ReviewOutput(review).data)


class ReviewRequestChangesApi(APIView):
    class InputSerializer(serializers.Serializer):
        field_comments = serializers.DictField(child=serializers.CharField(allow_blank=True, max_length=5000), required=False, default=dict)
        message = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
        revision_version = _revision_version_field()

        class Meta:
            ref_name = "ReviewRequestChangesInput"

    @extend_schema(
        tags=TAG,
        summary="Demander des modifications, champ par champ",
        description="`field_comments` associe un champ (title, summary, description, budget_lines, images…) à une remarque. "
        "Pour un projet validé ou en collecte, c'est sa modification qui revient à l'enseignant·e ; le projet reste en ligne.",
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
        revision_version = _revision_version_field()

        class Meta:
            ref_name = "ReviewRejectInput"

    @extend_schema(
        tags=TAG,
        summary="Refuser un projet, ou la modification d'un projet validé ou en collecte",
        description="Une modification refusée est abandonnée ; le projet reste en ligne, inchangé.",
        request=InputSerializer,
        responses=ReviewOutput,
    )
    def post(self, request, slug: str):
        campaign = _campaign(request, slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = services.review_reject(actor=request.user, campaign=campaign, **serializer.validated_data)
        return Response(ReviewOutput(review).data)


class CampaignDiffApi(APIView):
    class OutputSerializer(serializers.Serializer):
        field = serializers.CharField()
        label = serializers.CharField()
        before = serializers.CharField()
        after = serializers.CharField()

        class Meta:
            ref_name = "FieldChange"

    @extend_schema(
        tags=TAG,
        summary="Ce qui a changé depuis la dernière validation",
        description="Pour un projet validé ou en collecte : sa modification en attente, face à ce que le public voit.",
        responses=OutputSerializer(many=True),
    )
    def get(self, request, slug: str):
        campaign = _campaign(request, slug)
        if not (campaign_selectors.is_campaign_reviewer(request.user, campaign) or campaign_selectors.is_campaign_teacher(request.user, campaign)):
            raise PermissionDenied(_("Les changements sont visibles de l'enseignant·e et de l'animateur·rice du projet."))
        return Response(self.OutputSerializer(selectors.campaign_diff(campaign=campaign), many=True).data)


class CampaignRevisionApi(APIView):
    class OutputSerializer(CampaignRevisionOutput):
        changes = CampaignDiffApi.OutputSerializer(many=True)

        class Meta:
            ref_name = "CampaignRevisionReview"

    @extend_schema(
        tags=TAG,
        summary="La modification en attente d'un projet validé ou en collecte",
        description="Le projet reste en ligne, tel que validé, jusqu'à la décision. `changes` compare la proposition à ce que le public voit ; "
        "une décision renvoie `version`. 404 sans modification en cours.",
        responses=OutputSerializer,
    )
    def get(self, request, slug: str):
        campaign = _campaign(request, slug)
        if not (campaign_selectors.is_campaign_reviewer(request.user, campaign) or campaign_selectors.is_campaign_teacher(request.user, campaign)):
            raise PermissionDenied(_("Les changements sont visibles de l'enseignant·e et de l'animateur·rice du projet."))
        revision = campaign_selectors.campaign_open_revision(campaign=campaign) if campaign.status in REVISED_STATUSES else None
        if revision is None:
            raise Http404(_("Aucune modification de ce projet n'attend de relecture."))
        revision.changes = selectors.campaign_diff(campaign=campaign, revision=revision)
        revision.pending_images = [image for image in campaign.images.all() if not image.published]
        return Response(self.OutputSerializer(revision).data)


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
        kind = serializers.ChoiceField(
            choices=[selectors.TRANSITION_ENTRY, selectors.REVISION_ENTRY],
            help_text="`transition` : le projet change d'état ; `revision` : sa modification en attente (les états sont alors vides).",
        )
        label = serializers.CharField(help_text="Pour une entrée `revision`, ce qui s'est passé.")

        class Meta:
            ref_name = "AuditEntry"

        def get_field_comments(self, entry) -> list[dict[str, str]]:
            return [{"field": name, "label": label, "comment": body} for name, label, body in entry.field_comments]

    @extend_schema(tags=TAG, summary="Historique du projet : qui, quand, quoi, pourquoi", responses=OutputSerializer(many=True))
    def get(self, request, slug: str):
        campaign = _campaign(request, slug)
        return Response(self.OutputSerializer(selectors.campaign_audit_trail(actor=request.user, campaign=campaign), many=True).data)
