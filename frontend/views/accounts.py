"""Log in, log out and password reset: Django's auth views with our templates."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django_ratelimit.decorators import ratelimit


class LoginForm(AuthenticationForm):
    # Django's message names the field ("Saisissez un %(username)s…"), which gives "un adresse e-mail".
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Saisissez une adresse e-mail et un mot de passe valides. Les majuscules comptent dans le mot de passe."),
    }


# Guessing passwords or flooding inboxes costs a few attempts a minute, per address.
@method_decorator(ratelimit(key="ip", rate="20/m", method="POST", block=True), name="post")
class LoginView(auth_views.LoginView):
    template_name = "frontend/accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class ResetForm(PasswordResetForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Django's French says "Courriel"; everywhere else the site says "Adresse e-mail".
        self.fields["email"].label = _("Adresse e-mail")


@method_decorator(ratelimit(key="ip", rate="5/m", method="POST", block=True), name="post")
class PasswordResetView(auth_views.PasswordResetView):
    form_class = ResetForm
    template_name = "frontend/accounts/password_reset_form.html"
    email_template_name = "frontend/accounts/password_reset_email.txt"
    subject_template_name = "frontend/accounts/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "frontend/accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "frontend/accounts/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "frontend/accounts/password_reset_complete.html"
