"""The app's URLs plus /bench/minimal/: the yardstick every page is compared with.

Mounted only in bench mode (bench/settings.py), never in config/urls.py.
"""

from django.http import HttpResponse
from django.urls import include, path


def minimal(request):
    # Through the whole middleware stack, like every page, but with no query and no template.
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    path("bench/minimal/", minimal, name="bench_minimal"),
    path("", include("config.urls")),
]
