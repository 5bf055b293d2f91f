"""Small helpers shared by the page views."""

from django import forms
from django.core.exceptions import PermissionDenied

from trousse.exceptions import ApplicationError


def show_application_error(error: ApplicationError, form: forms.BaseForm, *, formset: forms.BaseFormSet | None = None, field_map: dict[str, str] | None = None) -> None:
    """Put a service's refusal where the person will look: next to the field, else at the top of the form.

    Services name fields as the model does (`minimum_goal_cents`); forms may name them
    differently (`minimum_goal`): `field_map` translates.
    """
    field_map = field_map or {}
    field_messages = set()
    for field, message in (error.field_errors or {}).items():
        field_messages.add(str(message))
        name = field_map.get(field, field)
        if name in form.fields:
            form.add_error(name, message)
        elif formset is not None and name in {"budget_lines", "budget"}:
            formset._non_form_errors = formset.error_class([*formset.non_form_errors(), message], error_class="nonform")
        else:
            form.add_error(None, message)
    # The summary goes on top unless it only repeats a message already shown by its field.
    if str(error.message) not in field_messages:
        form.add_error(None, error.message)


def forbid_if_refused(error: ApplicationError) -> None:
    """A service's 403 stays a 403 on the page (the view checked first; this is the race's answer)."""
    if getattr(error, "status_code", 400) == 403:
        raise PermissionDenied(error.message) from error
