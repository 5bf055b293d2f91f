"""What every API view shares: ApplicationError as a readable 4xx."""

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
