"""The campaigns API: one view per operation, each calling one service or selector."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from trousse.accounts.models import Cooperative
from trousse.accounts.selectors import actor_scope
from trousse.money import MAX_AMOUNT_CENTS

from . import selectors, services
from .models import REVISED_STATUSES, BudgetCategory, Campaign, CampaignImage, RevisionState, SchoolLevel, Theme

TAG = ["projets"]


# --- Shared output shapes ---


class CooperativeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    school_name = serializers.CharField()
    city = serializers.CharField()
    department = serializers.CharField(source="ad.number")

    class Meta:
        ref_name = "CampaignCooperative"


class ImageOutput(serializers.Serializer):
    id = serializers.IntegerField()
    alt_text = serializers.CharField()
    large_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    published = serializers.BooleanField(help_text="Faux pour une photo ajoutée à un projet validé ou en collecte, tant que l'AD n'a pas validé la modification.")

    class Meta:
        ref_name = "CampaignImage"

    def get_large_url(self, image: CampaignImage) -> str:
        return image.large.url

    def get_thumbnail_url(self, image: CampaignImage) -> str:
        return image.thumbnail.url


class BudgetLineOutput(serializers.Serializer):
    label = serializers.CharField()
    category = serializers.ChoiceField(choices=BudgetCategory.choices)
    amount_cents = serializers.IntegerField()

    class Meta:
        ref_name = "BudgetLine"


class NewsOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    body_html = serializers.CharField()
    created_at = serializers.DateTimeField()

    class Meta:
        ref_name = "CampaignNews"


class CampaignSummaryOutput(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()
    summary = serializers.CharField()
    status = serializers.CharField()
    theme = serializers.ChoiceField(choices=Theme.choices)
    school_level = serializers.ChoiceField(choices=SchoolLevel.choices)
    cooperative = CooperativeOutput()
    minimum_goal_cents = serializers.IntegerField()
    optimum_goal_cents = serializers.IntegerField()
    raised_cents = serializers.IntegerField()
    donors_count = serializers.IntegerField()
    start_date = serializers.DateField()
    deadline = serializers.DateField()
    cover = serializers.SerializerMethodField()

    class Meta:
        ref_name = "CampaignSummary"

    @extend_schema_field(ImageOutput(allow_null=True))
    def get_cover(self, campaign: Campaign) -> dict | None:
        images = getattr(campaign, "cover_images", None)
        if images is None:
            images = list(campaign.images.filter(published=True)[:1])
        return ImageOutput(images[0]).data if images else None


class CampaignDetailOutput(CampaignSummaryOutput):
    description = serializers.CharField()
    description_html = serializers.CharField()
    pupils_count = serializers.IntegerField()
    co_funding_cents = serializers.IntegerField()
    co_funding_description = serializers.CharField()
    goal_exception = serializers.BooleanField()
    budget_total_cents = serializers.IntegerField()
    budget_lines = BudgetLineOutput(many=True)
    # The public pictures: those of a pending revision show in CampaignRevision.
    images = serializers.SerializerMethodField()
    news = NewsOutput(many=True, source="updates")
    edited_from = serializers.SerializerMethodField(
        help_text="Pour qui peut modifier le projet : la version dont part une modification (sa modification en attente s'il y en a une), "
        "à renvoyer dans `edited_from` de la modification. Nul pour les autres."
    )

    class Meta:
        ref_name = "CampaignDetail"

    @extend_schema_field(ImageOutput(many=True))
    def get_images(self, campaign: Campaign) -> list[dict]:
        return ImageOutput([image for image in campaign.images.all() if image.published], many=True).data

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_edited_from(self, campaign: Campaign) -> str | None:
        # Only for whoever may edit: a fingerprint of a pending change is nobody else's business,
        # and the public reads of the page pay no query for it.
        request = self.context.get("request")
        if request is None or not selectors.can_edit_campaign(request.user, campaign):
            return None
        return selectors.campaign_edited_from(campaign=campaign)


# The teacher's pending change to an approved or live campaign, as they proposed it
# (a comment, not a docstring: the schema's descriptions are in French).
class CampaignRevisionOutput(serializers.Serializer):

    version = serializers.IntegerField()
    state = serializers.ChoiceField(choices=RevisionState.choices)
    author = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    title = serializers.CharField(source="values.title")
    summary = serializers.CharField(source="values.summary")
    description = serializers.CharField(source="values.description")
    theme = serializers.ChoiceField(choices=Theme.choices, source="values.theme")
    school_level = serializers.ChoiceField(choices=SchoolLevel.choices, source="values.school_level")
    pupils_count = serializers.IntegerField(source="values.pupils_count")
    minimum_goal_cents = serializers.IntegerField(source="values.minimum_goal_cents")
    optimum_goal_cents = serializers.IntegerField(source="values.optimum_goal_cents")
    co_funding_cents = serializers.IntegerField(source="values.co_funding_cents")
    co_funding_description = serializers.CharField(source="values.co_funding_description")
    start_date = serializers.DateField(source="values.start_date")
    deadline = serializers.DateField(source="values.deadline")
    budget_lines = BudgetLineOutput(many=True)
    pending_images = ImageOutput(many=True, help_text="Les photos ajoutées, publiées avec la modification.")
    edited_from = serializers.SerializerMethodField(help_text="La version proposée, à renvoyer avec la modification suivante.")

    class Meta:
        ref_name = "CampaignRevision"

    def get_edited_from(self, revision) -> str:
        return selectors.campaign_edit_digest(selectors.revision_values(revision), revision.budget_lines)


class BudgetLineInput(serializers.Serializer):
    label = serializers.CharField(max_length=200)
    category = serializers.ChoiceField(choices=BudgetCategory.choices)
    amount_cents = serializers.IntegerField(min_value=1, max_value=MAX_AMOUNT_CENTS)

    class Meta:
        ref_name = "BudgetLineInput"


def _budget_lines(data: list[dict] | None) -> list[services.BudgetLineData] | None:
    if data is None:
        return None
    return [services.BudgetLineData(label=line["label"], category=line["category"], amount_cents=line["amount_cents"]) for line in data]


def _campaign(request, slug: str) -> Campaign:
    """The campaign if the user may know it exists, else 404."""
    return selectors.campaign_get_for_actor(actor=request.user, slug=slug)


def _detail(campaign: Campaign, request) -> dict:
    # Read again after the write: the answer shows the saved state, everything prefetched.
    campaign = Campaign.objects.prefetch_related("budget_lines", "images", "updates").select_related("cooperative__ad").get(pk=campaign.pk)
    return CampaignDetailOutput(campaign, context={"request": request}).data


def _paginated(request, view, campaigns) -> Response:
    paginator = view.pagination_class()
    page = paginator.paginate_queryset(campaigns, request, view=view)
    return paginator.get_paginated_response(CampaignSummaryOutput(page, many=True).data)


# --- Views ---


class CampaignPublicListApi(APIView):
    permission_classes = [AllowAny]
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    class FilterSerializer(serializers.Serializer):
        department = serializers.CharField(required=False, max_length=3)
        theme = serializers.ChoiceField(choices=Theme.choices, required=False)
        level = serializers.ChoiceField(choices=SchoolLevel.choices, required=False)
        q = serializers.CharField(required=False, max_length=100)

        class Meta:
            ref_name = "CampaignListFilter"

    @extend_schema(tags=TAG, summary="Projets en collecte", parameters=[FilterSerializer], responses=CampaignSummaryOutput(many=True), auth=[])
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        campaigns = selectors.campaign_list_public(department=data.get("department"), theme=data.get("theme"), level=data.get("level"), query=data.get("q"))
        return _paginated(request, self, campaigns)


class CampaignMineListApi(APIView):
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS
    @extend_schema(tags=TAG, summary="Mes projets (ceux de mes coopératives et de mes AD)", responses=CampaignSummaryOutput(many=True))
    def get(self, request):
        return _paginated(request, self, selectors.campaign_list_for_actor(actor=request.user))


class CampaignDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(tags=TAG, summary="Un projet (public, ou connu de moi)", responses=CampaignDetailOutput)
    def get(self, request, slug: str):
        return Response(CampaignDetailOutput(_campaign(request, slug), context={"request": request}).data)


class CampaignCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        cooperative = serializers.IntegerField(required=False, help_text="Coopérative ; facultatif pour qui n'enseigne que dans une seule.")
        title = serializers.CharField(max_length=120)
        summary = serializers.CharField(max_length=300)
        description = serializers.CharField(max_length=20_000)
        theme = serializers.ChoiceField(choices=Theme.choices)
        school_level = serializers.ChoiceField(choices=SchoolLevel.choices)
        pupils_count = serializers.IntegerField(min_value=1, max_value=services.MAX_PUPILS)
        minimum_goal_cents = serializers.IntegerField(min_value=0, max_value=MAX_AMOUNT_CENTS)
        optimum_goal_cents = serializers.IntegerField(min_value=0, max_value=MAX_AMOUNT_CENTS)
        co_funding_cents = serializers.IntegerField(min_value=0, max_value=MAX_AMOUNT_CENTS, default=0)
        co_funding_description = serializers.CharField(max_length=300, default="", allow_blank=True)
        start_date = serializers.DateField()
        deadline = serializers.DateField()
        budget_lines = BudgetLineInput(many=True, max_length=services.MAX_BUDGET_LINES)

        class Meta:
            ref_name = "CampaignCreateInput"

    @extend_schema(tags=TAG, summary="Créer un projet (brouillon)", request=InputSerializer, responses={201: CampaignDetailOutput})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        cooperative_id = data.pop("cooperative", None)
        if cooperative_id is None:
            teacher_of = actor_scope(request.user).teacher_of
            if len(teacher_of) != 1:
                raise serializers.ValidationError({"cooperative": ["Précisez la coopérative du projet."]})
            cooperative_id = next(iter(teacher_of))
        cooperative = Cooperative.objects.filter(pk=cooperative_id).first()
        if cooperative is None:
            raise serializers.ValidationError({"cooperative": ["Coopérative inconnue."]})
        campaign = services.campaign_create(actor=request.user, cooperative=cooperative, budget_lines=_budget_lines(data.pop("budget_lines")), **data)
        return Response(_detail(campaign, request), status=status.HTTP_201_CREATED)


class CampaignUpdateApi(APIView):
    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=120, required=False)
        summary = serializers.CharField(max_length=300, required=False)
        description = serializers.CharField(max_length=20_000, required=False)
        theme = serializers.ChoiceField(choices=Theme.choices, required=False)
        school_level = serializers.ChoiceField(choices=SchoolLevel.choices, required=False)
        pupils_count = serializers.IntegerField(min_value=1, max_value=services.MAX_PUPILS, required=False)
        minimum_goal_cents = serializers.IntegerField(min_value=0, max_value=MAX_AMOUNT_CENTS, required=False)
        optimum_goal_cents = serializers.IntegerField(min_value=0, max_value=MAX_AMOUNT_CENTS, required=False)
        co_funding_cents = serializers.IntegerField(min_value=0, max_value=MAX_AMOUNT_CENTS, required=False)
        co_funding_description = serializers.CharField(max_length=300, required=False, allow_blank=True)
        start_date = serializers.DateField(required=False)
        deadline = serializers.DateField(required=False)
        budget_lines = BudgetLineInput(many=True, required=False, max_length=services.MAX_BUDGET_LINES)
        edited_from = serializers.CharField(
            max_length=64, required=False, help_text="Le `edited_from` du projet (ou de la modification en attente) à partir duquel vous modifiez."
        )

        class Meta:
            ref_name = "CampaignUpdateInput"

    @extend_schema(
        tags=TAG,
        summary="Modifier un projet",
        description="Un brouillon ou un projet en relecture est modifié aussitôt (200). Un projet validé ou en collecte garde "
        "sa version validée, publique, et continue sa collecte : la modification attend la relecture de l'AD (202, la modification en attente). "
        "Avec `edited_from` (lu sur le projet ou sur la modification en attente), une modification qui déferait un changement fait entre-temps "
        "est refusée (409) et rien n'est enregistré.",
        request=InputSerializer,
        responses={200: CampaignDetailOutput, 202: CampaignRevisionOutput},
    )
    def patch(self, request, slug: str):
        campaign = _campaign(request, slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        lines = _budget_lines(data.pop("budget_lines", None))
        edited_from = data.pop("edited_from", None)
        campaign = services.campaign_update(actor=request.user, campaign=campaign, budget_lines=lines, edited_from=edited_from, **data)
        revision = selectors.campaign_open_revision(campaign=campaign) if campaign.status in REVISED_STATUSES else None
        if revision is not None:
            revision.pending_images = list(campaign.images.filter(published=False))
            return Response(CampaignRevisionOutput(revision).data, status=status.HTTP_202_ACCEPTED)
        return Response(_detail(campaign, request))


class CampaignImageAddApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        # A plain file: the service decodes and checks it itself, with its own readable refusals.
        upload = serializers.FileField()
        alt_text = serializers.CharField(max_length=200)
        consent_confirmed = serializers.BooleanField(
            help_text="Les parents des élèves reconnaissables ont donné leur accord (ou aucun élève n'est reconnaissable)."
        )

        class Meta:
            ref_name = "CampaignImageInput"

    @extend_schema(tags=TAG, summary="Ajouter une image", request={"multipart/form-data": InputSerializer}, responses={201: ImageOutput})
    def post(self, request, slug: str):
        campaign = _campaign(request, slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        image = services.campaign_image_add(actor=request.user, campaign=campaign, **serializer.validated_data)
        return Response(ImageOutput(image).data, status=status.HTTP_201_CREATED)


class CampaignImageRemoveApi(APIView):
    @extend_schema(tags=TAG, summary="Retirer une image", request=None, responses={204: None})
    def delete(self, request, slug: str, image_id: int):
        campaign = _campaign(request, slug)
        image = get_object_or_404(CampaignImage.objects.select_related("campaign__cooperative"), pk=image_id, campaign=campaign)
        services.campaign_image_remove(actor=request.user, image=image)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CampaignSubmitApi(APIView):
    @extend_schema(tags=TAG, summary="Soumettre un projet à la relecture", request=None, responses=CampaignDetailOutput)
    def post(self, request, slug: str):
        campaign = services.campaign_submit(actor=request.user, campaign=_campaign(request, slug))
        return Response(_detail(campaign, request))


class CampaignCancelApi(APIView):
    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=2000)

        class Meta:
            ref_name = "CampaignCancelInput"

    @extend_schema(tags=TAG, summary="Annuler un projet (les dons sont remboursés)", request=InputSerializer, responses=CampaignDetailOutput)
    def post(self, request, slug: str):
        campaign = _campaign(request, slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        campaign = services.campaign_cancel(actor=request.user, campaign=campaign, reason=serializer.validated_data["reason"])
        return Response(_detail(campaign, request))


class CampaignNewsPostApi(APIView):
    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=150)
        body = serializers.CharField(max_length=20_000)

        class Meta:
            ref_name = "CampaignNewsInput"

    @extend_schema(tags=TAG, summary="Publier une nouvelle", request=InputSerializer, responses={201: NewsOutput})
    def post(self, request, slug: str):
        campaign = _campaign(request, slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        news = services.campaign_news_post(actor=request.user, campaign=campaign, **serializer.validated_data)
        return Response(NewsOutput(news).data, status=status.HTTP_201_CREATED)


class CampaignGoalExceptionApi(APIView):
    class InputSerializer(serializers.Serializer):
        granted = serializers.BooleanField()

        class Meta:
            ref_name = "CampaignGoalExceptionInput"

    @extend_schema(tags=TAG, summary="Accorder ou retirer la dérogation d'objectif (AD)", request=InputSerializer, responses=CampaignDetailOutput)
    def post(self, request, slug: str):
        campaign = _campaign(request, slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        campaign = services.campaign_goal_exception_set(actor=request.user, campaign=campaign, granted=serializer.validated_data["granted"])
        return Response(_detail(campaign, request))

