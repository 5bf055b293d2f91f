"""Writes about accounts: API tokens."""

from django.contrib.auth import authenticate
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from trousse.exceptions import ApplicationError

from .models import User


@transaction.atomic
def auth_token_obtain(*, email: str, password: str, request=None) -> Token:
    """The user's API token (created once, then the same), for a correct e-mail and password."""
    user = authenticate(request, username=(email or "").strip().lower(), password=password or "")
    if user is None or not user.is_active:
        # One message for both cases: the answer must not tell which e-mails have an account.
        raise ApplicationError(_("Adresse e-mail ou mot de passe incorrect."), status_code=400)
    token, _created = Token.objects.get_or_create(user=user)
    return token


@transaction.atomic
def auth_token_revoke(*, user: User) -> None:
    Token.objects.filter(user=user).delete()
