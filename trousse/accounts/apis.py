"""Who am I (with my roles), and API tokens."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from .selectors import actor_scope
from .services import auth_token_obtain, auth_token_revoke

TAG = ["compte"]


class TokenThrottle(AnonRateThrottle):
    # Password guessing: a few tries a minute per address is plenty for a person.
    scope = "auth-token"
    rate = "10/min"


class MeApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class MembershipOutput(serializers.Serializer):
            role = serializers.CharField()
            role_label = serializers.CharField(source="get_role_display")
            cooperative = serializers.SerializerMethodField()
            ad = serializers.SerializerMethodField()

            class Meta:
                ref_name = "Membership"

            def get_cooperative(self, membership) -> dict | None:
                cooperative = membership.cooperative
                return {"id": cooperative.pk, "name": cooperative.name, "city": cooperative.city} if cooperative else None

            def get_ad(self, membership) -> dict | None:
                ad = membership.ad or (membership.cooperative.ad if membership.cooperative else None)
                return {"id": ad.pk, "number": ad.number, "name": ad.name} if ad else None

        id = serializers.IntegerField()
        email = serializers.EmailField()
        first_name = serializers.CharField()
        last_name = serializers.CharField()
        is_federation_admin = serializers.SerializerMethodField()
        memberships = MembershipOutput(many=True)

        class Meta:
            ref_name = "Me"

        def get_is_federation_admin(self, user) -> bool:
            return actor_scope(user).is_federation_admin

    @extend_schema(tags=TAG, summary="Moi et mes rôles", responses=OutputSerializer)
    def get(self, request):
        user = request.user
        user.memberships_loaded = list(user.memberships.select_related("cooperative__ad", "ad").order_by("role", "id"))
        data = self.OutputSerializer(user).data
        data["memberships"] = self.OutputSerializer.MembershipOutput(user.memberships_loaded, many=True).data
        return Response(data)


class AuthTokenApi(APIView):
    permission_classes = [AllowAny]
    # No session here: a token request carries no CSRF cookie and needs none.
    authentication_classes: list = []
    throttle_classes = [TokenThrottle]

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})

        class Meta:
            ref_name = "AuthTokenInput"

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField(source="key")

        class Meta:
            ref_name = "AuthToken"

    @extend_schema(
        tags=TAG,
        summary="Obtenir un jeton d'API",
        description="À envoyer ensuite dans l'en-tête `Authorization: Token <jeton>`.",
        request=InputSerializer,
        responses=OutputSerializer,
        auth=[],
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = auth_token_obtain(request=request, **serializer.validated_data)
        return Response(self.OutputSerializer(token).data)


class AuthTokenRevokeApi(APIView):
    @extend_schema(tags=TAG, summary="Révoquer mon jeton d'API", request=None, responses={204: None})
    def post(self, request):
        auth_token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
