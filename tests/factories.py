"""Test data: factory_boy with Faker's fr_FR locale."""

import datetime

import factory
from django.utils import timezone
from faker import Faker

from trousse.accounts.models import Cooperative, DepartmentalAssociation, Membership, Role, User
from trousse.accounts.validators import uai_check_letter
from trousse.campaigns.models import BudgetCategory, BudgetLine, Campaign, SchoolLevel, Status, Theme
from trousse.payments.models import Donation, DonationStatus, DonorType, PaymentMethod

fake = Faker("fr_FR")
factory.Faker._DEFAULT_LOCALE = "fr_FR"

# Valid French test IBANs (checksums computed by schwifty in tests/test_factories).
COOPERATIVE_IBANS = ["FR7630006000011234567890189", "FR1420041010050500013M02606", "FR7630001007941234567890185"]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"personne{n}@ac-poitiers.fr")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("motdepasse-de-test")


class DepartmentalAssociationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DepartmentalAssociation
        django_get_or_create = ("number",)

    number = factory.Sequence(lambda n: f"{(n % 95) + 1:02d}")
    name = factory.LazyAttribute(lambda o: f"OCCE {o.number}")
    address = "12 rue de l'École\n79000 Niort"
    siret = "73282932000074"
    president_name = factory.Faker("name")
    iban = "FR7630006000011234567890189"
    bic = "AGRIFRPP"


def _uai(n: int) -> str:
    digits = f"{790000 + n:07d}"
    return digits + uai_check_letter(digits)


class CooperativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cooperative

    ad = factory.SubFactory(DepartmentalAssociationFactory)
    name = factory.Sequence(lambda n: f"Coopérative de l'école n° {n}")
    affiliation_number = factory.Sequence(lambda n: f"079{n:05d}")
    school_name = factory.LazyAttribute(lambda o: f"École {fake.last_name()}")
    uai = factory.Sequence(_uai)
    city = factory.Faker("city")
    iban = COOPERATIVE_IBANS[0]


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.TEACHER
    cooperative = None
    ad = None


def teacher_of(cooperative: Cooperative, **user_fields) -> User:
    user = UserFactory(**user_fields)
    Membership.objects.create(user=user, role=Role.TEACHER, cooperative=cooperative)
    return user


def mandataire_of(cooperative: Cooperative, **user_fields) -> User:
    user = UserFactory(**user_fields)
    Membership.objects.create(user=user, role=Role.MANDATAIRE, cooperative=cooperative)
    return user


def animator_of(ad: DepartmentalAssociation, **user_fields) -> User:
    user = UserFactory(**user_fields)
    Membership.objects.create(user=user, role=Role.ANIMATOR, ad=ad)
    return user


def treasurer_of(ad: DepartmentalAssociation, **user_fields) -> User:
    user = UserFactory(**user_fields)
    Membership.objects.create(user=user, role=Role.AD_TREASURER, ad=ad)
    return user


def federation_admin(**user_fields) -> User:
    user = UserFactory(**user_fields)
    Membership.objects.create(user=user, role=Role.FEDERATION_ADMIN)
    return user


class CampaignFactory(factory.django.DjangoModelFactory):
    """A valid campaign; `status` can be set directly for tests of later states."""

    class Meta:
        model = Campaign
        skip_postgeneration_save = True

    cooperative = factory.SubFactory(CooperativeFactory)
    teacher = factory.LazyAttribute(lambda o: teacher_of(o.cooperative))
    title = factory.Sequence(lambda n: f"Classe de mer à l'île d'Aix n° {n}")
    slug = factory.Sequence(lambda n: f"classe-de-mer-{n}")
    summary = "Vingt-quatre élèves de CM1 découvrent l'estran et la vie marine."
    description = "Nous partons **trois jours** à l'île d'Aix.\n\n- pêche à pied\n- phare"
    description_html = "<p>Nous partons <strong>trois jours</strong> à l'île d'Aix.</p>"
    theme = Theme.SCHOOL_TRIP
    school_level = SchoolLevel.ELEMENTAIRE
    pupils_count = 24
    minimum_goal_cents = 100_000
    optimum_goal_cents = 150_000
    co_funding_cents = 20_000
    start_date = factory.LazyFunction(lambda: timezone.localdate())
    deadline = factory.LazyAttribute(lambda o: o.start_date + datetime.timedelta(days=45))
    status = Status.DRAFT

    @factory.post_generation
    def budget(self, create, extracted, **kwargs):
        """Budget lines covering the goal: pass budget=[] for none."""
        if not create:
            return
        lines = extracted if extracted is not None else [("Transport en car", BudgetCategory.TRANSPORT, 60_000), ("Hébergement", BudgetCategory.ACCOMMODATION, 110_000)]
        for position, (label, category, amount) in enumerate(lines):
            BudgetLine.objects.create(campaign=self, label=label, category=category, amount_cents=amount, position=position)


class BudgetLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BudgetLine

    campaign = factory.SubFactory(CampaignFactory)
    label = "Livres"
    category = BudgetCategory.BOOKS
    amount_cents = 10_000


class DonationFactory(factory.django.DjangoModelFactory):
    """A donation row as the form writes it; set status/stripe ids for later states.

    It does not post to the ledger nor touch the campaign's raised amount: tests of
    money movements go through the payments services.
    """

    class Meta:
        model = Donation

    campaign = factory.SubFactory(CampaignFactory, status=Status.LIVE)
    amount_cents = 5_000
    method = PaymentMethod.CARD
    status = DonationStatus.PENDING
    donor_type = DonorType.INDIVIDUAL
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"donateur{n}@example.org")
    address_line = factory.Faker("street_address")
    postal_code = "79000"
    city = "Niort"
    wants_tax_receipt = True
    stripe_payment_intent_id = factory.Sequence(lambda n: f"pi_test_{n:08d}")
