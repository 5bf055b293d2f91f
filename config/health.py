from django.db import connection
from django.http import JsonResponse


def health(request):
    """Liveness and readiness for the proxy and the orchestrator (extended by the production work)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
