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
