"""What every API view shares: ApplicationError as a readable 4xx, schema names."""

from drf_spectacular.openapi import AutoSchema as _SpectacularAutoSchema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from trousse.exceptions import ApplicationError


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        body = {"detail": exc.message}
        if exc.field_errors:
            body["fields"] = exc.field_errors
        return Response(body, status=exc.status_code or status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


class AutoSchema(_SpectacularAutoSchema):
    """Names nested `InputSerializer`/`OutputSerializer` classes after their view.

    STYLE.md nests the serializers in each view, so dozens are called `Input` and
    `Output`; without this they would collide in the OpenAPI components.
    """

    def get_serializer_name(self, serializer, direction):
        name = super().get_serializer_name(serializer, direction)
        serializer_class = serializer if isinstance(serializer, type) else type(serializer)
        qualname = serializer_class.__qualname__
        if "." in qualname:
            owner = qualname.split(".")[0]
            view_name = owner.removesuffix("Api").removesuffix("View")
            return f"{view_name}{name}"
        return name
