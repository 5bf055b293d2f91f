from django.shortcuts import render
from django.utils.translation import gettext as _


def ratelimited(request, exception=None):
    """django-ratelimit's view: a clear 429, never a 403 that looks like a permission problem."""
    return render(
        request,
        "frontend/error.html",
        {"title": _("Trop de tentatives"), "message": _("Trop de tentatives en peu de temps. Réessayez dans quelques minutes.")},
        status=429,
    )


def csrf_failure(request, reason=""):
    """settings.CSRF_FAILURE_VIEW: the form expired or came from elsewhere, said in the site's frame and language.

    Rendered with the request, as every page in the frame needs (the visitor's menu, the
    language form's token). `reason` stays out of the page: CsrfViewMiddleware already logs
    it at WARNING with this response ("Forbidden (<reason>): <path>", logger
    django.security.csrf), so logging it here again would only double the line.
    """
    return render(request, "403_csrf.html", status=403)
