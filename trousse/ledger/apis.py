"""The books' API (/api/v1/books/...): one view per operation, each calling one service or selector."""

import datetime

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from trousse.accounts.models import DepartmentalAssociation
from trousse.campaigns.models import BudgetLine, Campaign
from trousse.exceptions import ApplicationError
from trousse.money import MAX_AMOUNT_CENTS, parse_euros

from . import exports, selectors, services
from .models import DisbursementBatch, Expense, ExpensePaymentMethod


@extend_schema_field(
    {
        "oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "example": "12,50"}],
        "description": "Centimes (entier) ou euros en texte (« 12,50 »).",
    }
)
class AmountField(serializers.Field):
    """Cents as an integer, or euros as text ("12,50"): both are read without floats."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or isinstance(data, float):
            raise serializers.ValidationError(_("Un montant en centimes (entier) ou en euros (« 12,50 ») est attendu."))
        if isinstance(data, int):
            if data <= 0:
                raise serializers.ValidationError(_("Le montant doit être positif."))
            if data >= MAX_AMOUNT_CENTS:
                raise serializers.ValidationError(_("Ce montant est trop élevé."))
            return data
        try:
            return parse_euros(data)
        except ApplicationError as error:
            raise serializers.ValidationError(error.message) from error

    def to_representation(self, value):
        return value


def _budget_line_for(campaign: Campaign, line_id: int) -> BudgetLine:
    line = BudgetLine.objects.filter(pk=line_id, campaign=campaign).first()
    if line is None:
        raise ApplicationError(_("Cette ligne de budget n'est pas celle de ce projet."), field_errors={"budget_line": _("Ligne inconnue.")})
    return line


def _expense(request, expense_id: int) -> Expense:
    return selectors.expense_get_for_actor(actor=request.user, expense_id=expense_id)


class ExpenseOutputSerializer(serializers.ModelSerializer):
    campaign = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    budget_line_label = serializers.CharField(source="budget_line.label", read_only=True)
    has_receipt = serializers.SerializerMethodField()
    receipt_reference = serializers.CharField(read_only=True)
    is_reconciled = serializers.BooleanField(read_only=True)

    class Meta:
        model = Expense
        fields = [
            "id",
            "campaign",
            "budget_line",
            "budget_line_label",
            "date",
            "supplier",
            "amount_cents",
            "payment_method",
            "description",
            "status",
            "review_comment",
            "has_receipt",
            "receipt_kind",
            "receipt_reference",
            "is_reconciled",
            "bank_statement_date",
            "bank_statement_label",
            "submitted_by",
            "approved_by",
            "created_at",
        ]

    def get_has_receipt(self, expense) -> bool:
        return bool(expense.receipt)


# --- budget versus spent ----------------------------------------------------------


class CampaignBudgetApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class LineSerializer(serializers.Serializer):
            id = serializers.IntegerField(source="line.pk")
            label = serializers.CharField(source="line.label")
            category = serializers.CharField(source="line.category")
            budgeted_cents = serializers.IntegerField()
            spent_cents = serializers.IntegerField()
            committed_cents = serializers.IntegerField()
            remaining_cents = serializers.IntegerField()
            overspent = serializers.BooleanField()

        lines = LineSerializer(many=True)
        budgeted_cents = serializers.IntegerField()
        raised_cents = serializers.IntegerField(source="money.raised_cents")
        to_disburse_cents = serializers.IntegerField(source="money.fund_cents")
        disbursed_cents = serializers.IntegerField(source="money.disbursed_cents")
        spent_cents = serializers.IntegerField(source="money.spent_cents")
        committed_cents = serializers.IntegerField(source="money.committed_cents")
        refunded_to_ad_cents = serializers.IntegerField(source="money.refunded_to_ad_cents")
        available_cents = serializers.IntegerField(source="money.available_to_spend_cents")
        warnings = serializers.ListField(child=serializers.CharField())
        closing_blockers = serializers.ListField(child=serializers.CharField())

    @extend_schema(responses=OutputSerializer)
    def get(self, request, slug):
        campaign = selectors.campaign_get_for_books(actor=request.user, slug=slug)
        view = selectors.campaign_budget_view(campaign=campaign)
        view.closing_blockers = services.campaign_closing_blockers(campaign=campaign)
        return Response(self.OutputSerializer(view).data)


class CampaignReconciliationApi(APIView):
    @extend_schema(
        responses=inline_serializer(
            name="CampaignReconciliationOutput",
            fields={"not_reconciled": ExpenseOutputSerializer(many=True), "without_receipt": ExpenseOutputSerializer(many=True)},
        )
    )
    def get(self, request, slug):
        campaign = selectors.campaign_get_for_books(actor=request.user, slug=slug)
        attention = selectors.expenses_needing_attention(campaign=campaign)
        return Response({key: ExpenseOutputSerializer(value, many=True).data for key, value in attention.items()})


# --- expenses -----------------------------------------------------------------------


class ExpenseListApi(APIView):
    @extend_schema(responses=ExpenseOutputSerializer(many=True))
    def get(self, request, slug):
        campaign = selectors.campaign_get_for_books(actor=request.user, slug=slug)
        expenses = selectors.expense_list_for_campaign(actor=request.user, campaign=campaign)
        return Response(ExpenseOutputSerializer(expenses, many=True).data)


class ExpenseCreateApi(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    class InputSerializer(serializers.Serializer):
        budget_line = serializers.IntegerField()
        date = serializers.DateField()
        supplier = serializers.CharField(max_length=200)
        amount = AmountField()
        payment_method = serializers.ChoiceField(choices=ExpensePaymentMethod.choices)
        description = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
        receipt = serializers.FileField(required=False, allow_empty_file=True)

    @extend_schema(request=InputSerializer, responses={201: ExpenseOutputSerializer})
    def post(self, request, slug):
        campaign = selectors.campaign_get_for_books(actor=request.user, slug=slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        expense = services.expense_create(
            actor=request.user,
            campaign=campaign,
            budget_line=_budget_line_for(campaign, data["budget_line"]),
            date=data["date"],
            supplier=data["supplier"],
            amount_cents=data["amount"],
            payment_method=data["payment_method"],
            description=data["description"],
            receipt=data.get("receipt"),
        )
        return Response(ExpenseOutputSerializer(expense).data, status=status.HTTP_201_CREATED)


class ExpenseDetailApi(APIView):
    @extend_schema(responses=ExpenseOutputSerializer)
    def get(self, request, expense_id):
        return Response(ExpenseOutputSerializer(_expense(request, expense_id)).data)


class ExpenseUpdateApi(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    class InputSerializer(serializers.Serializer):
        budget_line = serializers.IntegerField(required=False)
        date = serializers.DateField(required=False)
        supplier = serializers.CharField(max_length=200, required=False)
        amount = AmountField(required=False)
        payment_method = serializers.ChoiceField(choices=ExpensePaymentMethod.choices, required=False)
        description = serializers.CharField(max_length=300, required=False, allow_blank=True)

    @extend_schema(request=InputSerializer, responses=ExpenseOutputSerializer)
    def post(self, request, expense_id):
        expense = _expense(request, expense_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        if "amount" in fields:
            fields["amount_cents"] = fields.pop("amount")
        if "budget_line" in fields:
            fields["budget_line"] = _budget_line_for(expense.campaign, fields["budget_line"])
        expense = services.expense_update(actor=request.user, expense=expense, **fields)
        return Response(ExpenseOutputSerializer(expense).data)


class ExpenseReceiptApi(APIView):
    parser_classes = [MultiPartParser]

    class InputSerializer(serializers.Serializer):
        receipt = serializers.FileField(allow_empty_file=True)

    @extend_schema(request=InputSerializer, responses=ExpenseOutputSerializer)
    def post(self, request, expense_id):
        expense = _expense(request, expense_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        expense = services.expense_receipt_attach(actor=request.user, expense=expense, upload=serializer.validated_data["receipt"])
        return Response(ExpenseOutputSerializer(expense).data)


class ExpenseSubmitApi(APIView):
    @extend_schema(request=None, responses=ExpenseOutputSerializer)
    def post(self, request, expense_id):
        expense = services.expense_submit(actor=request.user, expense=_expense(request, expense_id))
        return Response(ExpenseOutputSerializer(expense).data)


class ExpenseApproveApi(APIView):
    class InputSerializer(serializers.Serializer):
        comment = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
        without_receipt = serializers.BooleanField(
            default=False,
            help_text=(
                "Confirme l'approbation d'une dépense sans justificatif (la case « Approuver sans justificatif » de la page). "
                "Sans elle, une dépense sans justificatif est refusée (400, erreur sur « without_receipt ») ; "
                "inutile pour une dépense qui a son justificatif."
            ),
        )

    @extend_schema(request=InputSerializer, responses=ExpenseOutputSerializer)
    def post(self, request, expense_id):
        expense = _expense(request, expense_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        expense = services.expense_approve(
            actor=request.user, expense=expense, comment=data["comment"], without_receipt_confirmed=data["without_receipt"]
        )
        return Response(ExpenseOutputSerializer(expense).data)


class ExpenseRejectApi(APIView):
    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=500)

    @extend_schema(request=InputSerializer, responses=ExpenseOutputSerializer)
    def post(self, request, expense_id):
        expense = _expense(request, expense_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        expense = services.expense_reject(actor=request.user, expense=expense, reason=serializer.validated_data["reason"])
        return Response(ExpenseOutputSerializer(expense).data)


class ExpenseIncompleteApi(APIView):
    class InputSerializer(serializers.Serializer):
        comment = serializers.CharField(max_length=500)

    @extend_schema(request=InputSerializer, responses=ExpenseOutputSerializer)
    def post(self, request, expense_id):
        expense = _expense(request, expense_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        expense = services.expense_mark_incomplete(actor=request.user, expense=expense, comment=serializer.validated_data["comment"])
        return Response(ExpenseOutputSerializer(expense).data)


class ExpensePayApi(APIView):
    @extend_schema(request=None, responses=ExpenseOutputSerializer)
    def post(self, request, expense_id):
        expense = services.expense_pay(actor=request.user, expense=_expense(request, expense_id))
        return Response(ExpenseOutputSerializer(expense).data)


class ExpenseReconcileApi(APIView):
    class InputSerializer(serializers.Serializer):
        statement_date = serializers.DateField()
        statement_label = serializers.CharField(max_length=200)

    @extend_schema(request=InputSerializer, responses=ExpenseOutputSerializer)
    def post(self, request, expense_id):
        expense = _expense(request, expense_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        expense = services.expense_reconcile(actor=request.user, expense=expense, **serializer.validated_data)
        return Response(ExpenseOutputSerializer(expense).data)


# --- refund to the AD, final report, closing -------------------------------------------


class CampaignRefundToAdApi(APIView):
    class InputSerializer(serializers.Serializer):
        amount = AmountField()
        reason = serializers.CharField(max_length=300)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: inline_serializer(name="CampaignRefundToAdOutput", fields={"transaction": serializers.CharField(), "amount_cents": serializers.IntegerField()})
        },
    )
    def post(self, request, slug):
        campaign = selectors.campaign_get_for_books(actor=request.user, slug=slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ledger_tx = services.campaign_refund_to_ad(
            actor=request.user, campaign=campaign, amount_cents=serializer.validated_data["amount"], reason=serializer.validated_data["reason"]
        )
        return Response({"transaction": ledger_tx.key, "amount_cents": serializer.validated_data["amount"]}, status=status.HTTP_201_CREATED)


class FinalReportSaveApi(APIView):
    class InputSerializer(serializers.Serializer):
        body = serializers.CharField(max_length=20_000)
        publish = serializers.BooleanField(default=False)

    @extend_schema(
        request=InputSerializer,
        responses=inline_serializer(
            name="FinalReportSaveOutput", fields={"body_html": serializers.CharField(), "published_at": serializers.DateTimeField(allow_null=True)}
        ),
    )
    def post(self, request, slug):
        campaign = selectors.campaign_get_for_books(actor=request.user, slug=slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = services.final_report_save(actor=request.user, campaign=campaign, **serializer.validated_data)
        return Response({"body_html": report.body_html, "published_at": report.published_at})


class FinalReportImageAddApi(APIView):
    parser_classes = [MultiPartParser]

    class InputSerializer(serializers.Serializer):
        image = serializers.FileField(allow_empty_file=True)
        alt_text = serializers.CharField(max_length=200)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: inline_serializer(
                name="FinalReportImageAddOutput",
                fields={"id": serializers.IntegerField(), "url": serializers.CharField(), "thumbnail_url": serializers.CharField()},
            )
        },
    )
    def post(self, request, slug):
        campaign = selectors.campaign_get_for_books(actor=request.user, slug=slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        image = services.final_report_image_add(
            actor=request.user, campaign=campaign, upload=serializer.validated_data["image"], alt_text=serializer.validated_data["alt_text"]
        )
        return Response({"id": image.pk, "url": image.large.url, "thumbnail_url": image.thumbnail.url}, status=status.HTTP_201_CREATED)


class CampaignCloseApi(APIView):
    @extend_schema(
        request=None, responses=inline_serializer(name="CampaignCloseOutput", fields={"slug": serializers.SlugField(), "status": serializers.CharField()})
    )
    def post(self, request, slug):
        campaign = selectors.campaign_get_for_books(actor=request.user, slug=slug)
        campaign = services.campaign_close(actor=request.user, campaign=campaign)
        return Response({"slug": campaign.slug, "status": campaign.status})


# --- disbursements --------------------------------------------------------------------


class BatchOutputSerializer(serializers.ModelSerializer):
    class ItemSerializer(serializers.Serializer):
        campaign = serializers.CharField(source="campaign.slug")
        cooperative = serializers.CharField(source="cooperative.name")
        amount_cents = serializers.IntegerField()
        creditor_iban = serializers.CharField()
        end_to_end_id = serializers.CharField()

    items = ItemSerializer(many=True, read_only=True)

    class Meta:
        model = DisbursementBatch
        fields = ["id", "ad", "status", "execution_date", "message_id", "total_cents", "created_at", "executed_at", "cancelled_at", "items"]


def _ad_for_treasurer(request, ad_id) -> DepartmentalAssociation:
    ads = selectors.ad_list_for_treasurer(actor=request.user)
    if ad_id is None:
        ad = ads.first() if ads.count() == 1 else None
        if ad is None:
            raise ApplicationError(_("Précisez l'AD (paramètre « ad »)."))
        return ad
    if not str(ad_id).isdigit():
        raise Http404("ad")
    return get_object_or_404(ads, pk=ad_id)


class CampaignsToDisburseApi(APIView):
    class OutputSerializer(serializers.Serializer):
        campaign = serializers.CharField(source="campaign.slug")
        title = serializers.CharField(source="campaign.title")
        cooperative = serializers.CharField(source="campaign.cooperative.name")
        status = serializers.CharField(source="campaign.status")
        raised_cents = serializers.IntegerField(source="money.raised_cents")
        disbursed_cents = serializers.IntegerField(source="money.disbursed_cents")
        to_disburse_cents = serializers.IntegerField(source="money.to_disburse_cents")

    @extend_schema(
        parameters=[OpenApiParameter("ad", OpenApiTypes.INT, description="L'AD (facultatif si vous n'êtes trésorier que d'une seule).")],
        responses=OutputSerializer(many=True),
    )
    def get(self, request):
        ad = _ad_for_treasurer(request, request.query_params.get("ad"))
        return Response(self.OutputSerializer(selectors.campaigns_to_disburse(actor=request.user, ad=ad), many=True).data)


class BatchListApi(APIView):
    @extend_schema(operation_id="v1_books_disbursements_list", responses=BatchOutputSerializer(many=True))
    def get(self, request):
        batches = selectors.batch_list_for_actor(actor=request.user).prefetch_related("items__campaign", "items__cooperative")
        return Response(BatchOutputSerializer(batches, many=True).data)


class BatchCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        class ItemSerializer(serializers.Serializer):
            campaign = serializers.SlugField()
            amount = AmountField(required=False)

        ad = serializers.IntegerField(required=False)
        execution_date = serializers.DateField(required=False)
        items = ItemSerializer(many=True, allow_empty=False)

    @extend_schema(request=InputSerializer, responses={201: BatchOutputSerializer})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ad = _ad_for_treasurer(request, data.get("ad"))
        campaigns = {c.slug: c for c in Campaign.objects.filter(slug__in=[item["campaign"] for item in data["items"]], cooperative__ad=ad)}
        requests = []
        money = selectors.campaigns_money(campaigns=list(campaigns.values()))
        for item in data["items"]:
            campaign = campaigns.get(item["campaign"])
            if campaign is None:
                raise ApplicationError(_("Projet « %(slug)s » introuvable dans votre AD.") % {"slug": item["campaign"]})
            # Without an amount, the whole of what is left to disburse.
            requests.append(services.DisbursementRequest(campaign=campaign, amount_cents=item.get("amount") or money[campaign.pk].to_disburse_cents))
        batch = services.disbursement_batch_create(actor=request.user, ad=ad, requests=requests, execution_date=data.get("execution_date"))
        return Response(BatchOutputSerializer(batch).data, status=status.HTTP_201_CREATED)


class BatchDetailApi(APIView):
    @extend_schema(operation_id="v1_books_disbursements_retrieve", responses=BatchOutputSerializer)
    def get(self, request, batch_id):
        return Response(BatchOutputSerializer(selectors.batch_get_for_actor(actor=request.user, batch_id=batch_id)).data)


class BatchSepaApi(APIView):
    @extend_schema(responses={(200, "application/xml"): OpenApiTypes.BINARY})
    def get(self, request, batch_id):
        batch = selectors.batch_get_for_actor(actor=request.user, batch_id=batch_id)
        response = HttpResponse(batch.sepa_xml, content_type="application/xml; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="virements-{batch.pk}.xml"'
        return response


class BatchSummaryCsvApi(APIView):
    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY})
    def get(self, request, batch_id):
        batch = selectors.batch_get_for_actor(actor=request.user, batch_id=batch_id)
        response = HttpResponse(exports.batch_summary_csv(batch), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="versements-{batch.pk}.csv"'
        return response


class BatchExecuteApi(APIView):
    @extend_schema(request=None, responses=BatchOutputSerializer)
    def post(self, request, batch_id):
        batch = services.disbursement_batch_execute(actor=request.user, batch=selectors.batch_get_for_actor(actor=request.user, batch_id=batch_id))
        return Response(BatchOutputSerializer(selectors.batch_get_for_actor(actor=request.user, batch_id=batch.pk)).data)


class BatchCancelApi(APIView):
    @extend_schema(request=None, responses=BatchOutputSerializer)
    def post(self, request, batch_id):
        batch = services.disbursement_batch_cancel(actor=request.user, batch=selectors.batch_get_for_actor(actor=request.user, batch_id=batch_id))
        return Response(BatchOutputSerializer(selectors.batch_get_for_actor(actor=request.user, batch_id=batch.pk)).data)


# --- exports --------------------------------------------------------------------------


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()

    def validate(self, attrs):
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError(_("La fin de la période précède son début."))
        if attrs["end"] - attrs["start"] > datetime.timedelta(days=3 * 366):
            raise serializers.ValidationError(_("Une période d'au plus trois ans."))
        return attrs


class CooperativeBooksCsvApi(APIView):
    @extend_schema(parameters=[PeriodSerializer], responses={(200, "text/csv"): OpenApiTypes.BINARY})
    def get(self, request, cooperative_id):
        cooperative = selectors.cooperative_get_for_books(actor=request.user, cooperative_id=cooperative_id)
        period = PeriodSerializer(data=request.query_params)
        period.is_valid(raise_exception=True)
        entries = selectors.cooperative_books_entries(cooperative=cooperative, **period.validated_data)
        response = HttpResponse(exports.books_csv(entries), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="comptes-{cooperative.pk}-{period.validated_data["start"]}-{period.validated_data["end"]}.csv"'
        return response


class CooperativeReceiptsZipApi(APIView):
    @extend_schema(parameters=[PeriodSerializer], responses={(200, "application/zip"): OpenApiTypes.BINARY})
    def get(self, request, cooperative_id):
        cooperative = selectors.cooperative_get_for_books(actor=request.user, cooperative_id=cooperative_id)
        period = PeriodSerializer(data=request.query_params)
        period.is_valid(raise_exception=True)
        expenses = selectors.expense_list_for_export(cooperative=cooperative, **period.validated_data)
        archive = exports.receipts_zip(expenses)
        name = f"justificatifs-{cooperative.pk}-{period.validated_data['start']}-{period.validated_data['end']}.zip"
        return FileResponse(archive, as_attachment=True, filename=name, content_type="application/zip")

