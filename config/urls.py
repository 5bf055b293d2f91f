from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from config.health import health
from config.media import public_media_urls
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView


class FaviconRedirect(RedirectView):
    """Browsers ask for /favicon.ico whatever the page links to: send them to the static icon.

    The address is looked up per request (a hashed name in production, read from the manifest)
    and the redirect is temporary, so a new icon is never hidden behind a cached 301.
    """

    permanent = False

    def get_redirect_url(self, *args, **kwargs) -> str:
        return static("frontend/favicon.svg")


api_v1 = [
    path("", include("trousse.accounts.urls")),
    path("", include("trousse.campaigns.urls")),
    path("", include("trousse.moderation.urls")),
    path("", include("trousse.payments.urls")),
    path("", include("trousse.ledger.urls")),
    path("", include("trousse.privacy.urls")),
]

urlpatterns = [
    path("favicon.ico", FaviconRedirect.as_view(), name="favicon"),
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("payments/", include("trousse.payments.webhook_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("frontend.urls")),
]

if not settings.USE_S3:
    # Pictures on local disk (the embedded default); receipts and signatures never by URL.
    urlpatterns += public_media_urls()
