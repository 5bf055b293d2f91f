"""The payments API (/api/v1/): one view per operation, each calling one service."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from trousse.campaigns.models import Campaign
from trousse.money import MAX_AMOUNT_CENTS
from trousse.privacy.services import personal_data_access_log

from . import selectors, services
from .models import DonorType, PaymentMethod
from .ratelimits import DonationRateLimited, donation_create_counted


class DonationCreateApi(APIView):
    """A donor (no account) gives to a live campaign: the donation is created and sent to Stripe."""

    permission_classes = [AllowAny]
    # No session: anonymous donors, and no CSRF to bypass for a logged-in browser.
    authentication_classes: list = []

    class InputSerializer(serializers.Serializer):
        campaign = serializers.SlugField()
        amount_cents = serializers.IntegerField(min_value=1, max_value=MAX_AMOUNT_CENTS)
        method = serializers.ChoiceField(choices=PaymentMethod.choices, default=PaymentMethod.CARD)
        card_payment_method = serializers.CharField(required=False, allow_blank=True, default="", help_text="pm_… or the card_… of a Stripe.js token")
        iban = serializers.CharField(required=False, allow_blank=True, default="")
        donor_type = serializers.ChoiceField(choices=DonorType.choices, default=DonorType.INDIVIDUAL)
        first_name = serializers.CharField(max_length=100)
        last_name = serializers.CharField(max_length=100)
        email = serializers.EmailField()
        company_name = serializers.CharField(required=False, allow_blank=True, default="")
        siret = serializers.CharField(required=False, allow_blank=True, default="")
        address_line = serializers.CharField(required=False, allow_blank=True, default="")
        postal_code = serializers.CharField(required=False, allow_blank=True, default="")
        city = serializers.CharField(required=False, allow_blank=True, default="")
        wants_tax_receipt = serializers.BooleanField(default=False)
        is_parent_of_pupil = serializers.BooleanField(default=False)
        counterpart_cents = serializers.IntegerField(min_value=0, max_value=MAX_AMOUNT_CENTS, default=0)
        public_message = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
        is_anonymous = serializers.BooleanField(default=False)

    class OutputSerializer(serializers.Serializer):
        public_id = serializers.UUIDField(source="donation.public_id")
        status = serializers.CharField(source="donation.status")
        client_secret = serializers.CharField()
        requires_action = serializers.BooleanField()
        declined = serializers.BooleanField()
        message = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        campaign = get_object_or_404(Campaign, slug=data.pop("campaign"))
        card_payment_method, iban = data.pop("card_payment_method"), data.pop("iban")
        try:
            # Counted only when the attempt is about to reach Stripe: a refused request costs nothing.
            donation, card_payment_method, iban = donation_create_counted(request, campaign=campaign, card_payment_method=card_payment_method, iban=iban, **data)
        except DonationRateLimited as error:
            return Response({"detail": error.message}, status=status.HTTP_429_TOO_MANY_REQUESTS, headers={"Retry-After": str(error.wait_seconds)})
        start = services.donation_payment_start(
            donation=donation,
            card_payment_method=card_payment_method,
            iban=iban,
            ip_address=request.META.get("REMOTE_ADDR", ""),
            user_agent=request.headers.get("User-Agent", ""),
        )
        return Response(self.OutputSerializer(start).data, status=status.HTTP_201_CREATED)


class DonationStatusApi(APIView):
    """A donation's state by its public id (the donor's page polls it while a debit is processing)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    class OutputSerializer(serializers.Serializer):
        public_id = serializers.UUIDField()
        status = serializers.CharField()
        status_label = serializers.CharField(source="get_status_display")
        amount_cents = serializers.IntegerField()
        refunded_cents = serializers.IntegerField()
        campaign = serializers.SlugField(source="campaign.slug")

    @extend_schema(responses=OutputSerializer)
    def get(self, request, public_id):
        donation = selectors.donation_get_public(public_id=public_id)
        return Response(self.OutputSerializer(donation).data)


class CampaignDonationListApi(APIView):
    """A campaign's donations for its cooperative and AD (teacher: anonymous donors' amounts hidden)."""

    # Declared on the view so that the schema documents the page envelope the view returns.
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    class OutputSerializer(serializers.Serializer):
        public_id = serializers.UUIDField()
        created_at = serializers.DateTimeField()
        status = serializers.CharField()
        amount_cents = serializers.IntegerField(allow_null=True)
        refunded_cents = serializers.IntegerField(allow_null=True)
        donor_name = serializers.CharField()
        email = serializers.CharField(allow_null=True)
        public_message = serializers.CharField()
        is_anonymous = serializers.BooleanField()

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request, slug):
        campaign, visibility = selectors.campaign_get_for_donations(actor=request.user, slug=slug)
        donations = selectors.donation_list_for_actor(actor=request.user, campaign=campaign)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(donations, request, view=self)
        # Donors' names (and, for the mandataire and the AD, e-mails): the rows of this page are logged.
        personal_data_access_log(actor=request.user, purpose="donor_list", donations=page, request=request)
        full = visibility == selectors.DONORS_FULL
        rows = [
            {
                "public_id": d.public_id,
                "created_at": d.created_at,
                "status": d.status,
                "amount_cents": d.amount_cents if full or not d.is_anonymous else None,
                "refunded_cents": d.refunded_cents if full or not d.is_anonymous else None,
                "donor_name": d.donor_display_name,
                "email": d.email if full else None,
                "public_message": d.public_message,
                "is_anonymous": d.is_anonymous,
            }
            for d in page
        ]
        data = self.OutputSerializer(rows, many=True).data
        return paginator.get_paginated_response(data)


class DonationRefundApi(APIView):
    """The AD treasurer refunds a donation, fully (no amount) or partly, with a reason."""

    class InputSerializer(serializers.Serializer):
        amount_cents = serializers.IntegerField(required=False, min_value=1, max_value=MAX_AMOUNT_CENTS)
        reason = serializers.CharField(max_length=300)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        amount_cents = serializers.IntegerField()
        status = serializers.CharField()
        reason = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={202: OutputSerializer})
    def post(self, request, public_id):
        # Outside the cooperative and AD: 404; seen but not the treasurer: the service's 403.
        donation = selectors.donation_get_for_actor(actor=request.user, public_id=public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        refund = services.donation_refund(actor=request.user, donation=donation, **serializer.validated_data)
        refund.refresh_from_db()
        return Response(self.OutputSerializer(refund).data, status=status.HTTP_202_ACCEPTED)

