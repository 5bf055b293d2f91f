"""Page forms: they validate what a person typed; the services decide the rest."""

from django import forms
from django.forms import formset_factory
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from trousse.accounts.models import DepartmentalAssociation
from trousse.campaigns.images import ACCEPT_ATTRIBUTE, accepted_formats_text
from trousse.campaigns.models import BudgetCategory, SchoolLevel, Theme
from trousse.exceptions import ApplicationError
from trousse.moderation.selectors import REVIEWABLE_FIELDS
from trousse.money import parse_euros


class EurosField(forms.CharField):
    """Typed euros ("12,50", "1 200 €") in, integer cents out; cents shown back as "12,50"."""

    def __init__(self, *, min_cents: int = 0, **kwargs):
        # No max_length: its validator would run on the cents; the length is checked on the text instead.
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "maxlength": "20"}))
        self.min_cents = min_cents
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            euros, cents = divmod(value, 100)
            return f"{euros},{cents:02d}" if cents else str(euros)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        if len(value) > 20:
            raise forms.ValidationError(_("« %(text)s » n'est pas un montant en euros.") % {"text": value[:20] + "…"}, code="euros")
        try:
            cents = parse_euros(value)
        except ApplicationError as error:
            raise forms.ValidationError(error.message, code="euros") from error
        if cents < self.min_cents:
            raise forms.ValidationError(_("Le montant doit être d'au moins %(minimum)s €.") % {"minimum": self.min_cents // 100}, code="min")
        return cents


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%Y-%m-%d")
        super().__init__(**kwargs)


class CampaignFilterForm(forms.Form):
    """The home page's filters: GET, every field optional, a bad value is simply ignored."""

    q = forms.CharField(label=_("Rechercher"), required=False, max_length=100, widget=forms.TextInput(attrs={"type": "search"}))
    departement = forms.ChoiceField(label=_("Département"), required=False)
    theme = forms.ChoiceField(label=_("Thème"), required=False, choices=[("", _("Tous les thèmes")), *Theme.choices])
    level = forms.ChoiceField(label=_("Niveau"), required=False, choices=[("", _("Tous les niveaux")), *SchoolLevel.choices])

    def __init__(self, *args, departments=(), **kwargs):
        """`departments`: (number, name) pairs, as department_choices() gives them."""
        super().__init__(*args, **kwargs)
        self.fields["departement"].choices = [("", _("Tous les départements"))] + [(number, f"{number} – {name}") for number, name in departments]

    def filters(self) -> dict:
        """The selector's keyword arguments; an invalid field counts as absent rather than an error page."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "department": data.get("departement") or None,
            "theme": data.get("theme") or None,
            "level": data.get("level") or None,
            "query": (data.get("q") or "").strip() or None,
        }


def department_choices() -> list[tuple[str, str]]:
    """(number, name) of every AD, in number order: a hundred pairs, no model instances."""
    return list(DepartmentalAssociation.objects.order_by("number").values_list("number", "name"))


# Form field name -> the campaign's field name, as services and reviewers name them.
CAMPAIGN_FIELD_NAMES = {
    "minimum_goal": "minimum_goal_cents",
    "optimum_goal": "optimum_goal_cents",
    "co_funding": "co_funding_cents",
}
SERVICE_TO_FORM_FIELD = {value: key for key, value in CAMPAIGN_FIELD_NAMES.items()}


class CampaignForm(forms.Form):
    cooperative = forms.TypedChoiceField(label=_("Coopérative"), coerce=int)
    title = forms.CharField(label=_("Titre du projet"), max_length=120)
    summary = forms.CharField(
        label=_("Résumé"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}), help_text=_("Une ou deux phrases, affichées sur la liste des projets.")
    )
    description = forms.CharField(
        label=_("Présentation du projet"),
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("Markdown accepté : **gras**, *italique*, listes avec des tirets, liens."),
    )
    theme = forms.ChoiceField(label=_("Thème"), choices=Theme.choices)
    school_level = forms.ChoiceField(label=_("Niveau"), choices=SchoolLevel.choices)
    pupils_count = forms.IntegerField(label=_("Nombre d'élèves"), min_value=1, max_value=2000)
    minimum_goal = EurosField(label=_("Objectif minimum (€)"), min_cents=100, help_text=_("En dessous, tous les donateurs sont remboursés."))
    optimum_goal = EurosField(label=_("Objectif optimum (€)"), min_cents=100, help_text=_("Atteint, il clôt la collecte."))
    co_funding = EurosField(label=_("Cofinancements (€)"), required=False, help_text=_("L'argent de la coopérative, de la mairie, d'une association de parents…"))
    co_funding_description = forms.CharField(label=_("Origine des cofinancements"), max_length=300, required=False)
    start_date = forms.DateField(label=_("Début de la collecte"), widget=DateInput())
    deadline = forms.DateField(label=_("Fin de la collecte"), widget=DateInput())

    def __init__(self, *args, cooperatives=(), **kwargs):
        super().__init__(*args, **kwargs)
        cooperatives = list(cooperatives)
        if cooperatives:
            self.fields["cooperative"].choices = [(coop.pk, str(coop)) for coop in cooperatives]
            if len(cooperatives) == 1:
                self.fields["cooperative"].initial = cooperatives[0].pk
                self.fields["cooperative"].widget = forms.HiddenInput()
        else:
            # Editing: the cooperative never changes.
            del self.fields["cooperative"]

    def clean(self):
        data = super().clean()
        start, deadline = data.get("start_date"), data.get("deadline")
        if start and deadline and deadline <= start:
            self.add_error("deadline", _("La fin de la collecte doit venir après son début."))
        minimum, optimum = data.get("minimum_goal"), data.get("optimum_goal")
        if minimum is not None and optimum is not None and optimum < minimum:
            self.add_error("optimum_goal", _("L'objectif optimum ne peut pas être inférieur à l'objectif minimum."))
        return data

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "summary": data["summary"],
            "description": data["description"],
            "theme": data["theme"],
            "school_level": data["school_level"],
            "pupils_count": data["pupils_count"],
            "minimum_goal_cents": data["minimum_goal"],
            "optimum_goal_cents": data["optimum_goal"],
            "co_funding_cents": data.get("co_funding") or 0,
            "co_funding_description": data.get("co_funding_description", ""),
            "start_date": data["start_date"],
            "deadline": data["deadline"],
        }

    @staticmethod
    def initial_from(values: dict) -> dict:
        """The form's initial data from the campaign's fields as services name them (campaign_edit_values)."""
        return {SERVICE_TO_FORM_FIELD.get(name, name): value for name, value in values.items()}


class BudgetLineForm(forms.Form):
    label = forms.CharField(label=_("Libellé"), max_length=200)
    category = forms.ChoiceField(label=_("Catégorie"), choices=BudgetCategory.choices)
    amount = EurosField(label=_("Montant (€)"), min_cents=1)

    def has_changed(self):
        # A select always sends a value: a row with neither label nor amount is a blank row.
        if self.initial:
            return super().has_changed()
        return bool((self.data.get(self.add_prefix("label")) or "").strip() or (self.data.get(self.add_prefix("amount")) or "").strip())


class BaseBudgetLineFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        if not self._kept_forms():
            raise forms.ValidationError(_("Le budget doit compter au moins une ligne."), code="empty")

    def _kept_forms(self) -> list:
        # Blank extra rows validate to an empty dict; ticked "delete" rows are dropped.
        return [form for form in self.forms if form.cleaned_data and not self._should_delete_form(form)]

    def budget_lines(self, line_class) -> list:
        return [
            line_class(label=form.cleaned_data["label"], category=form.cleaned_data["category"], amount_cents=form.cleaned_data["amount"])
            for form in self._kept_forms()
        ]


BudgetLineFormSet = formset_factory(BudgetLineForm, formset=BaseBudgetLineFormSet, extra=2, can_delete=True, max_num=50, validate_max=True)


def budget_initial(lines: list[dict]) -> list[dict]:
    return [{"label": line["label"], "category": line["category"], "amount": line["amount_cents"]} for line in lines]


def _picture_help_text() -> str:
    return gettext("%(formats)s, 10 Mo au plus. Les métadonnées (dont la position GPS) sont effacées.") % {"formats": accepted_formats_text()}


class ImageForm(forms.Form):
    # A plain file field: the campaigns image service decodes, checks and re-encodes
    # (decoding twice would double the work and give vaguer messages).
    upload = forms.FileField(
        label=_("Photo"),
        # The formats the campaigns image service decodes, said once there (PICTURE_FORMATS).
        widget=forms.FileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
        help_text=lazy(_picture_help_text, str)(),
    )
    alt_text = forms.CharField(label=_("Description de la photo"), max_length=200, help_text=_("Pour les personnes qui ne voient pas l'image."))
    consent_confirmed = forms.BooleanField(
        label=_("Les parents des élèves reconnaissables sur cette photo ont donné leur accord écrit."),
        required=True,
        error_messages={"required": _("Sans l'accord des parents, la photo ne peut pas être publiée.")},
    )


class NewsForm(forms.Form):
    title = forms.CharField(label=_("Titre de la nouvelle"), max_length=150)
    body = forms.CharField(label=_("Texte"), widget=forms.Textarea(attrs={"rows": 6}), help_text=_("Markdown accepté."))


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Raison de l'annulation"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))


class RevisionVersionForm(forms.Form):
    # The version of the live campaign's change the animator read: a newer one is refused, not applied unseen.
    revision_version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class ApproveForm(RevisionVersionForm):
    comment = forms.CharField(label=_("Commentaire (facultatif)"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class RequestChangesForm(RevisionVersionForm):
    message = forms.CharField(label=_("Message à l'enseignant·e"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in REVIEWABLE_FIELDS.items():
            self.fields[f"field_{name}"] = forms.CharField(
                label=_("Remarque sur : %(field)s") % {"field": label}, required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
            )

    def comment_fields(self):
        return [(name, label, self[f"field_{name}"]) for name, label in REVIEWABLE_FIELDS.items()]

    def clean(self):
        data = super().clean()
        if not self.field_comments() and not (data.get("message") or "").strip():
            raise forms.ValidationError(_("Dites à l'enseignant·e ce qu'il faut changer : au moins une remarque."), code="empty")
        return data

    def field_comments(self) -> dict[str, str]:
        data = getattr(self, "cleaned_data", {})
        return {name: data[f"field_{name}"].strip() for name in REVIEWABLE_FIELDS if (data.get(f"field_{name}") or "").strip()}


class RejectForm(RevisionVersionForm):
    reason = forms.CharField(label=_("Raison du refus"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
