"""Files on local disk (no S3): only public pictures are served by URL.

Tax receipt PDFs, the AD president's signature and expense receipts live under
MEDIA_ROOT too, but they are personal or forgeable: they are only ever served by
the views that check who asks (signed links, the treasurer's pages, the books).
"""

from django.conf import settings
from django.http import Http404
from django.urls import re_path
from django.views.static import serve

# Upload prefixes of pictures meant for the public pages.
PUBLIC_MEDIA_PREFIXES = ("campaigns/", "final_reports/")


def public_media(request, path: str):
    if not path.startswith(PUBLIC_MEDIA_PREFIXES) or ".." in path.split("/"):
        raise Http404("not a public file")
    return serve(request, path, document_root=settings.MEDIA_ROOT)


def public_media_urls() -> list:
    prefix = settings.MEDIA_URL.lstrip("/")
    return [re_path(rf"^{prefix}(?P<path>.*)$", public_media, name="public_media")]
