"""Demo data for `make run`: two ADs, cooperatives, people in every role, campaigns in every state.

Idempotent: every row is looked up by a natural key (AD number, UAI, e-mail,
campaign title in its cooperative) and only created when missing, so running it
twice changes nothing. Rows are written through the services wherever a state
can be reached that way (campaign_create, campaign_image_add, campaign_submit,
the reviews, donations, disbursements), so the demo obeys the same rules, ledger
included, as real use.
"""

import datetime
import io
import logging
import random
from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from PIL import Image, ImageDraw

from trousse.accounts.models import Cooperative, DepartmentalAssociation, Membership, Role, User
from trousse.accounts.validators import uai_check_letter
from trousse.campaigns import services as campaign_services
from trousse.campaigns.models import BudgetCategory, Campaign, SchoolLevel, Status, Theme
from trousse.exceptions import ApplicationError

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "trousse-demo-2025"
DEMO_DOMAIN = "demo.latrousse.fr"


def siret_with_check(first13: str) -> str:
    """Complete 13 digits with the Luhn digit that makes a valid SIRET."""
    for last in "0123456789":
        digits = first13 + last
        total = 0
        for index, char in enumerate(reversed(digits)):
            number = int(char)
            if index % 2 == 1:
                number = number * 2 - 9 if number > 4 else number * 2
            total += number
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable")


def french_iban(bank: str, branch: str, account: str) -> str:
    """A valid French IBAN: RIB key, then the ISO 13616 check digits."""
    rib_key = 97 - ((89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97)
    bban = f"{bank}{branch}{account}{rib_key:02d}"
    check = 98 - int("".join(str(int(char, 36)) for char in bban + "FR00")) % 97
    return f"FR{check:02d}{bban}"


def uai(department: str, number: int) -> str:
    digits = f"0{department}{number:04d}"
    return digits + uai_check_letter(digits)


ADS = [
    {
        "number": "79",
        "name": "OCCE Deux-Sèvres",
        "address": "61 rue de la Gare\n79000 Niort",
        "siret": siret_with_check("7750903020001"),
        "president_name": "Martine Guérin",
        "iban": french_iban("30006", "00001", "07900000001"),
        "bic": "AGRIFRPP",
        "academy": "ac-poitiers.fr",
    },
    {
        "number": "84",
        "name": "OCCE Vaucluse",
        "address": "3 avenue de la Trillade\n84000 Avignon",
        "siret": siret_with_check("7830632140001"),
        "president_name": "Jean-Luc Roux",
        "iban": french_iban("30006", "00001", "08400000001"),
        "bic": "AGRIFRPP",
        "academy": "ac-aix-marseille.fr",
    },
]

COOPERATIVES = [
    # (AD, UAI number, cooperative, school, town)
    ("79", 101, "Coopérative de l'école Jules-Ferry", "École élémentaire Jules-Ferry", "Niort"),
    ("79", 214, "Coopérative de l'école des Sablières", "École maternelle des Sablières", "Parthenay"),
    ("79", 327, "Coopérative de l'école du Marais", "École primaire du Marais", "Coulon"),
    ("79", 408, "Coopérative du collège Pierre-et-Marie-Curie", "Collège Pierre-et-Marie-Curie", "Bressuire"),
    ("84", 112, "Coopérative de l'école des Papes", "École élémentaire des Papes", "Avignon"),
    ("84", 236, "Coopérative de l'école du Ventoux", "École primaire du Ventoux", "Bédoin"),
    ("84", 341, "Coopérative de l'école des Lavandes", "École maternelle des Lavandes", "Sault"),
]

TEACHER_NAMES = [
    ("Claire", "Moreau"),
    ("Thomas", "Bernard"),
    ("Sophie", "Lefèvre"),
    ("Karim", "Benali"),
    ("Élodie", "Fabre"),
    ("Julien", "Arnaud"),
    ("Nadia", "Chevalier"),
]

PALETTES = [((238, 201, 120), (46, 125, 50)), ((144, 202, 249), (13, 71, 161)), ((255, 204, 188), (191, 54, 12)), ((200, 230, 201), (27, 94, 32))]


@dataclass
class CampaignSpec:
    cooperative: int  # index in COOPERATIVES
    title: str
    summary: str
    description: str
    theme: str
    level: str
    pupils: int
    minimum: int  # euros
    budget: list[tuple[str, str, int]]  # (label, category, euros)
    target: str  # the status to reach
    raised_share: float = 0.0  # of the minimum goal, for campaigns that collected money
    pictures: int = 2
    co_funding: int = 0
    co_funding_description: str = ""
    change_request: dict[str, str] = field(default_factory=dict)


def _story(intro: str, points: list[str], outro: str) -> str:
    return intro + "\n\n" + "\n".join(f"- {point}" for point in points) + "\n\n" + outro


CAMPAIGNS = [
    CampaignSpec(
        0, "Classe de mer à l'île d'Aix", "Vingt-quatre élèves de CM1 découvrent l'estran, le phare et la vie marine pendant trois jours.",
        _story("Nous partons **trois jours** à l'île d'Aix avec la classe de CM1.", ["pêche à pied avec un animateur nature", "visite du phare et du fort Liédot", "carnet de bord illustré par les élèves"], "Chaque euro réduit la participation demandée aux familles."),
        Theme.SCHOOL_TRIP, SchoolLevel.ELEMENTAIRE, 24, 1800,
        [("Transport en car", BudgetCategory.TRANSPORT, 900), ("Hébergement en centre", BudgetCategory.ACCOMMODATION, 1500), ("Animations nature", BudgetCategory.ACTIVITIES, 400)],
        Status.LIVE, raised_share=0.62, pictures=3, co_funding=500, co_funding_description="Mairie de Niort",
    ),
    CampaignSpec(
        1, "Un coin lecture douillet", "Des albums, des coussins et une petite bibliothèque pour la classe des moyens-grands.",
        _story("Nos élèves de maternelle adorent les histoires.", ["30 albums choisis avec la médiathèque", "des coussins lavables", "un meuble bas à leur hauteur"], "Le coin lecture servira aussi aux parents lors des cafés-lecture."),
        Theme.READING_WRITING, SchoolLevel.MATERNELLE, 27, 650,
        [("Albums jeunesse", BudgetCategory.BOOKS, 420), ("Meuble bibliothèque", BudgetCategory.EQUIPMENT, 180), ("Coussins", BudgetCategory.EQUIPMENT, 90)],
        Status.LIVE, raised_share=0.35,
    ),
    CampaignSpec(
        4, "Une chorale au Palais des Papes", "Les CE2 préparent un concert avec un chef de chœur et le chantent dans la cour d'honneur.",
        _story("Toute l'année, la classe apprend à chanter ensemble.", ["dix séances avec un chef de chœur", "location de la sono pour le concert", "enregistrement offert aux familles"], "Le concert aura lieu en juin, ouvert à tous."),
        Theme.ARTS_CULTURE, SchoolLevel.ELEMENTAIRE, 26, 1200,
        [("Intervenant chef de chœur", BudgetCategory.ACTIVITIES, 900), ("Sono et enregistrement", BudgetCategory.SERVICES, 450)],
        Status.LIVE, raised_share=0.85,
    ),
    CampaignSpec(
        5, "Le Ventoux à vélo", "Un cycle vélo pour les CM2 qui se termine par une sortie au pied du Ventoux.",
        _story("Savoir rouler à vélo, c'est gagner en autonomie.", ["entretien de la flotte de vélos de l'école", "casques et gilets pour tous", "sortie encadrée de deux jours"], "Le projet est mené avec le club cycliste de Bédoin."),
        Theme.SPORT, SchoolLevel.ELEMENTAIRE, 22, 1500,
        [("Casques et gilets", BudgetCategory.EQUIPMENT, 600), ("Réparation des vélos", BudgetCategory.SERVICES, 400), ("Hébergement au gîte", BudgetCategory.ACCOMMODATION, 700)],
        Status.LIVE, raised_share=0.1,
    ),
    CampaignSpec(
        2, "Un potager dans la cour", "Des bacs, des graines et des outils à la taille des élèves pour cultiver le potager de l'école.",
        _story("Au bord du Marais poitevin, les élèves veulent faire pousser leurs légumes.", ["six bacs en bois", "outils adaptés aux enfants", "récupérateur d'eau de pluie"], "Les récoltes iront à la cantine."),
        Theme.ENVIRONMENT, SchoolLevel.ELEMENTAIRE, 25, 800,
        [("Bacs en bois", BudgetCategory.EQUIPMENT, 480), ("Outils et graines", BudgetCategory.EQUIPMENT, 220), ("Récupérateur d'eau", BudgetCategory.EQUIPMENT, 150)],
        Status.DRAFT,
    ),
    CampaignSpec(
        3, "Des microscopes pour le labo", "Six microscopes numériques pour observer le vivant en classe de sixième.",
        _story("Observer une cellule d'oignon, c'est mieux que de la voir dans un livre.", ["six microscopes numériques", "lames et colorants", "un écran pour projeter les observations"], "Ils serviront à toutes les classes du collège."),
        Theme.SCIENCES, SchoolLevel.COLLEGE, 28, 1400,
        [("Microscopes numériques", BudgetCategory.EQUIPMENT, 1200), ("Consommables", BudgetCategory.EQUIPMENT, 250)],
        Status.SUBMITTED,
    ),
    CampaignSpec(
        6, "Les lavandes en peinture", "Une artiste accompagne les petits pour peindre une fresque des champs de lavande.",
        _story("Une fresque pour le préau, peinte par les élèves.", ["cinq ateliers avec une artiste", "peintures adaptées à l'extérieur"], "Elle sera inaugurée à la fête de l'école."),
        Theme.ARTS_CULTURE, SchoolLevel.MATERNELLE, 20, 700,
        [("Intervention de l'artiste", BudgetCategory.ACTIVITIES, 500), ("Peintures et pinceaux", BudgetCategory.EQUIPMENT, 250)],
        Status.DRAFT, change_request={"budget_lines": "Précisez le nombre d'heures d'intervention de l'artiste.", "summary": "Indiquez où la fresque sera peinte."},
    ),
    CampaignSpec(
        4, "Un jardin des insectes", "Un hôtel à insectes et des observations tout au long du printemps.",
        _story("Les élèves construisent un hôtel à insectes.", ["bois et matériaux naturels", "loupes et boîtes d'observation"], "Un carnet de sciences accompagnera le projet."),
        Theme.SCIENCES, SchoolLevel.ELEMENTAIRE, 23, 500,
        [("Matériaux", BudgetCategory.EQUIPMENT, 300), ("Loupes et boîtes", BudgetCategory.EQUIPMENT, 250)],
        Status.APPROVED,
    ),
    CampaignSpec(
        0, "Voyage à Disneyland", "Une journée au parc d'attractions pour la classe.",
        _story("Une sortie de fin d'année.", ["entrées au parc", "transport"], "Pour le plaisir des élèves."),
        Theme.OTHER, SchoolLevel.ELEMENTAIRE, 25, 2500,
        [("Entrées", BudgetCategory.ACTIVITIES, 2000), ("Car", BudgetCategory.TRANSPORT, 900)],
        Status.REJECTED,
    ),
    CampaignSpec(
        1, "Une malle de déguisements", "Des costumes pour les jeux d'imitation et le spectacle de fin d'année.",
        _story("Jouer à être quelqu'un d'autre, c'est apprendre à parler.", ["vingt costumes", "une malle solide"], "Les costumes resteront à l'école."),
        Theme.ARTS_CULTURE, SchoolLevel.MATERNELLE, 26, 400,
        [("Costumes", BudgetCategory.EQUIPMENT, 350), ("Malle", BudgetCategory.EQUIPMENT, 100)],
        Status.SUCCEEDED, raised_share=1.2,
    ),
    CampaignSpec(
        5, "Ciné-club de l'école", "Un vidéoprojecteur et des films pour un ciné-club le vendredi soir.",
        _story("Regarder et discuter des films ensemble.", ["un vidéoprojecteur", "les droits de projection"], "Ouvert aux familles."),
        Theme.ARTS_CULTURE, SchoolLevel.ELEMENTAIRE, 48, 900,
        [("Vidéoprojecteur", BudgetCategory.EQUIPMENT, 700), ("Droits de projection", BudgetCategory.SERVICES, 300)],
        Status.FAILED,
    ),
    CampaignSpec(
        2, "Rencontre avec une autrice", "L'autrice d'albums jeunesse vient passer une journée avec la classe.",
        _story("Rencontrer une autrice, c'est comprendre comment naît un livre.", ["une journée d'intervention", "des albums dédicacés pour la BCD"], "Le projet est annulé : l'autrice ne peut plus venir."),
        Theme.READING_WRITING, SchoolLevel.ELEMENTAIRE, 24, 600,
        [("Intervention", BudgetCategory.ACTIVITIES, 450), ("Albums", BudgetCategory.BOOKS, 200)],
        Status.CANCELLED,
    ),
    # Jules-Ferry's, so that mandataire.79 (README) finds a funded project to record expenses against.
    CampaignSpec(
        0, "Des tablettes pour écrire", "Quatre tablettes pour le journal de l'école écrit par les CM2.",
        _story("Le journal de l'école paraît chaque trimestre.", ["quatre tablettes", "un logiciel de mise en page libre"], "Le journal est distribué aux familles."),
        Theme.READING_WRITING, SchoolLevel.ELEMENTAIRE, 28, 1000,
        [("Tablettes", BudgetCategory.EQUIPMENT, 1100)],
        Status.FUNDED, raised_share=1.0,
    ),
    CampaignSpec(
        3, "Les olympiades du collège", "Du matériel d'athlétisme pour les olympiades inter-classes.",
        _story("Une journée sportive pour tout le collège.", ["haies et plots", "chronomètres", "médailles"], "Merci à tous les donateurs !"),
        Theme.SPORT, SchoolLevel.COLLEGE, 120, 800,
        [("Matériel d'athlétisme", BudgetCategory.EQUIPMENT, 650), ("Médailles", BudgetCategory.EQUIPMENT, 200)],
        Status.CLOSED, raised_share=1.05,
    ),
]

DONORS = [
    ("Camille", "Durand"), ("Lucas", "Petit"), ("Léa", "Martin"), ("Hugo", "Robert"), ("Manon", "Richard"), ("Nathan", "Dubois"),
    ("Chloé", "Laurent"), ("Louis", "Simon"), ("Inès", "Michel"), ("Gabriel", "Garcia"), ("Jade", "David"), ("Raphaël", "Bertrand"),
]


def demo_picture(seed: int, title: str) -> SimpleUploadedFile:
    """A coloured picture with a drawn shape: a sun over hills, a house or a tree, depending on the seed."""
    background, ink = PALETTES[seed % len(PALETTES)]
    image = Image.new("RGB", (800, 600), background)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 420, 800, 600), fill=tuple(max(0, c - 60) for c in background))
    shape = seed % 3
    if shape == 0:
        draw.ellipse((520, 60, 680, 220), fill=(255, 214, 0))
        draw.polygon([(0, 440), (220, 260), (460, 440)], fill=ink)
        draw.polygon([(300, 440), (560, 300), (800, 440)], fill=tuple(min(255, c + 40) for c in ink))
    elif shape == 1:
        draw.rectangle((250, 260, 550, 460), fill=ink)
        draw.polygon([(230, 270), (400, 140), (570, 270)], fill=(183, 28, 28))
        draw.rectangle((370, 360, 430, 460), fill=(255, 255, 255))
    else:
        draw.rectangle((380, 300, 420, 460), fill=(93, 64, 55))
        draw.ellipse((280, 140, 520, 340), fill=ink)
        draw.ellipse((120, 80, 200, 160), outline=(255, 255, 255), width=6)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile(f"demo-{seed}.png", buffer.getvalue(), content_type="image/png")


class Command(BaseCommand):
    help = "Load the demo data (idempotent) and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="Do not print the logins.")

    def handle(self, *args, quiet=False, **options):
        # The background jobs run in this process: their log lines would bury the logins.
        logging.getLogger("celery").setLevel(logging.WARNING)
        # Demo donors and teachers are fictional: their e-mails stay in memory.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            people = self._organisations_and_people()
            created = 0
            for index, spec in enumerate(CAMPAIGNS):
                if self._seed_campaign(index, spec, people):
                    created += 1
        if not quiet:
            self._print_logins(created)

    # --- organisations and people ---

    def _user(self, email: str, first_name: str, last_name: str, **extra) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, DEMO_PASSWORD, first_name=first_name, last_name=last_name, **extra)
        return user

    @transaction.atomic
    def _organisations_and_people(self) -> dict:
        people: dict = {"ads": {}, "cooperatives": [], "teachers": [], "animators": {}, "treasurers": {}}
        admin = self._user(f"federation@{DEMO_DOMAIN}", "Fédération", "OCCE", is_staff=True, is_superuser=True)
        Membership.objects.get_or_create(user=admin, role=Role.FEDERATION_ADMIN)
        people["admin"] = admin
        for spec in ADS:
            values = {key: value for key, value in spec.items() if key not in ("number", "academy")}
            ad, _created = DepartmentalAssociation.objects.get_or_create(number=spec["number"], defaults=values)
            people["ads"][ad.number] = ad
            animator = self._user(f"animateur.{ad.number}@{DEMO_DOMAIN}", "Animateur", f"OCCE {ad.number}")
            Membership.objects.get_or_create(user=animator, role=Role.ANIMATOR, ad=ad)
            treasurer = self._user(f"tresorier.{ad.number}@{DEMO_DOMAIN}", "Trésorier", f"OCCE {ad.number}")
            Membership.objects.get_or_create(user=treasurer, role=Role.AD_TREASURER, ad=ad)
            people["animators"][ad.number], people["treasurers"][ad.number] = animator, treasurer
        first_of_ad: set[str] = set()
        for index, (number, uai_number, name, school, city) in enumerate(COOPERATIVES):
            ad = people["ads"][number]
            code = uai(number, uai_number)
            cooperative, _created = Cooperative.objects.get_or_create(
                uai=code,
                defaults={
                    "ad": ad,
                    "name": name,
                    "affiliation_number": f"{number}{uai_number:06d}",
                    "school_name": school,
                    "city": city,
                    "iban": french_iban("30004", f"{int(number):05d}", f"{uai_number:011d}"),
                },
            )
            people["cooperatives"].append(cooperative)
            first_name, last_name = TEACHER_NAMES[index % len(TEACHER_NAMES)]
            academy = next(spec["academy"] for spec in ADS if spec["number"] == number)
            # The first cooperative of each AD gets the easy-to-type demo logins.
            if number not in first_of_ad:
                first_of_ad.add(number)
                teacher_email, mandataire_email = f"enseignant.{number}@{DEMO_DOMAIN}", f"mandataire.{number}@{DEMO_DOMAIN}"
            else:
                slug = last_name.lower().replace("è", "e").replace("é", "e")
                teacher_email, mandataire_email = f"{first_name.lower().replace('é', 'e')}.{slug}@{academy}", f"mandataire.{code.lower()}@{DEMO_DOMAIN}"
            teacher = self._user(teacher_email, first_name, last_name)
            Membership.objects.get_or_create(user=teacher, role=Role.TEACHER, cooperative=cooperative)
            mandataire = self._user(mandataire_email, "Mandataire", cooperative.school_name)
            Membership.objects.get_or_create(user=mandataire, role=Role.MANDATAIRE, cooperative=cooperative)
            people["teachers"].append(teacher)
        return people

    # --- campaigns ---

    def _seed_campaign(self, index: int, spec: CampaignSpec, people: dict) -> bool:
        cooperative = people["cooperatives"][spec.cooperative]
        if Campaign.objects.filter(cooperative=cooperative, title=spec.title).exists():
            return False
        teacher = people["teachers"][spec.cooperative]
        animator = people["animators"][cooperative.ad.number]
        treasurer = people["treasurers"][cooperative.ad.number]
        today = timezone.localdate()
        rng = random.Random(index)
        # Each campaign is all or nothing: a failure leaves no half-built campaign for the next run to skip.
        with transaction.atomic():
            starts_later = spec.target == Status.APPROVED
            start = today + datetime.timedelta(days=7) if starts_later else today
            campaign = campaign_services.campaign_create(
                actor=teacher,
                cooperative=cooperative,
                title=spec.title,
                summary=spec.summary,
                description=spec.description,
                theme=spec.theme,
                school_level=spec.level,
                pupils_count=spec.pupils,
                minimum_goal_cents=spec.minimum * 100,
                optimum_goal_cents=min(spec.minimum * 2, sum(line[2] for line in spec.budget) - spec.co_funding) * 100,
                start_date=start,
                deadline=start + datetime.timedelta(days=25 + 4 * index),
                budget_lines=[campaign_services.BudgetLineData(label=label, category=category, amount_cents=amount * 100) for label, category, amount in spec.budget],
                co_funding_cents=spec.co_funding * 100,
                co_funding_description=spec.co_funding_description,
            )
            for number in range(spec.pictures):
                campaign_services.campaign_image_add(
                    actor=teacher,
                    campaign=campaign,
                    upload=demo_picture(index * 3 + number, spec.title),
                    alt_text=f"{spec.title} : dessin de démonstration n° {number + 1}",
                    consent_confirmed=True,
                )
            if spec.target == Status.DRAFT and not spec.change_request:
                return True
            campaign_services.campaign_submit(actor=teacher, campaign=campaign)
            if spec.target == Status.SUBMITTED:
                return True
            self._review(campaign, spec, animator)
            if spec.target in (Status.DRAFT, Status.REJECTED, Status.APPROVED):
                return True
            campaign = campaign_services.campaign_transition(campaign=campaign, to_status=Status.LIVE, comment="Début de la collecte.")
            if spec.target == Status.CANCELLED:
                campaign_services.campaign_cancel(actor=teacher, campaign=campaign, reason="L'autrice ne peut plus venir cette année.")
                return True
            self._donate(campaign, spec, rng)
            if spec.target == Status.LIVE:
                return True
            campaign.refresh_from_db()
            if campaign.status == Status.LIVE:
                campaign = campaign_services.campaign_end(campaign=campaign)
            # A finished collection ended in the past: its dates move back (no service rewrites history).
            Campaign.objects.filter(pk=campaign.pk).update(start_date=today - datetime.timedelta(days=60), deadline=today - datetime.timedelta(days=15))
            campaign.refresh_from_db()
            if spec.target in (Status.FUNDED, Status.CLOSED):
                self._disburse(campaign, treasurer)
                campaign.refresh_from_db()
            if spec.target == Status.CLOSED:
                self._close(campaign, teacher, treasurer)
        return True

    def _review(self, campaign: Campaign, spec: CampaignSpec, animator: User) -> None:
        from trousse.moderation import services as moderation_services

        if spec.target == Status.REJECTED:
            moderation_services.review_reject(actor=animator, campaign=campaign, reason="Une sortie de loisirs sans objectif pédagogique ne relève pas de La Trousse.")
        elif spec.change_request:
            moderation_services.review_request_changes(actor=animator, campaign=campaign, field_comments=spec.change_request, message="Très beau projet, quelques précisions avant validation.")
        else:
            moderation_services.review_approve(actor=animator, campaign=campaign, comment="Projet clair et budget cohérent : validé.")
        campaign.refresh_from_db()

    def _donate(self, campaign: Campaign, spec: CampaignSpec, rng: random.Random) -> None:
        """Succeeded donations through the payments services (ledger and counters included), without Stripe."""
        from trousse.payments import services as payment_services
        from trousse.payments.models import DonationStatus

        target = min(int(spec.minimum * 100 * spec.raised_share), campaign.optimum_goal_cents)
        given = 0
        donor = 0
        while given < target:
            first_name, last_name = DONORS[donor % len(DONORS)]
            amount = min(rng.choice([1000, 2000, 2500, 3000, 5000, 8000, 10000]), target - given)
            if amount < 500:
                break
            donation = payment_services.donation_create(
                campaign=campaign,
                amount_cents=amount,
                first_name=first_name,
                last_name=last_name,
                email=f"{first_name.lower()}.{last_name.lower()}@example.org".replace("é", "e").replace("è", "e").replace("ë", "e").replace("ï", "i"),
                address_line=f"{rng.randint(1, 80)} rue des Écoles",
                postal_code=f"{campaign.cooperative.ad.number}000",
                city=campaign.cooperative.city,
                wants_tax_receipt=donor % 3 != 0,
                public_message="Bravo à toute la classe !" if donor % 2 == 0 else "",
                is_anonymous=donor % 4 == 3,
            )
            payment_services.donation_transition(donation_id=donation.pk, to_status=DonationStatus.SUCCEEDED, source="demo")
            given += amount
            donor += 1
            campaign.refresh_from_db()
            if campaign.status != Status.LIVE:
                break

    def _disburse(self, campaign: Campaign, treasurer: User) -> None:
        from trousse.ledger import selectors as ledger_selectors
        from trousse.ledger import services as ledger_services

        amount = ledger_selectors.campaign_fund_balance(campaign=campaign)
        batch = ledger_services.disbursement_batch_create(
            actor=treasurer, ad=campaign.cooperative.ad, requests=[ledger_services.DisbursementRequest(campaign=campaign, amount_cents=amount)]
        )
        ledger_services.disbursement_batch_execute(actor=treasurer, batch=batch)

    def _close(self, campaign: Campaign, teacher: User, treasurer: User) -> None:
        from trousse.ledger import services as ledger_services

        ledger_services.final_report_save(
            actor=teacher,
            campaign=campaign,
            body="Les olympiades ont réuni **tout le collège** : merci aux familles et aux commerçants de Bressuire !",
            publish=True,
        )
        try:
            ledger_services.campaign_close(actor=treasurer, campaign=campaign)
        except ApplicationError as error:
            # Closing needs every expense reconciled, which the demo does not simulate.
            logger.info("demo campaign %s closed by the system: %s", campaign.pk, error.message)
            campaign_services.campaign_transition(campaign=campaign, to_status=Status.CLOSED, comment="Projet clôturé (démonstration).")

    def _print_logins(self, created: int) -> None:
        write = self.stdout.write
        write("")
        created_text = "aucun projet créé" if created == 0 else f"{created} projet créé" if created == 1 else f"{created} projets créés"
        write(self.style.SUCCESS(f"Données de démonstration prêtes ({created_text} cette fois-ci)."))
        write(f"Mot de passe de tous les comptes de démonstration : {DEMO_PASSWORD}")
        write("")
        rows = [
            ("Enseignant·e (OCCE 79)", f"enseignant.79@{DEMO_DOMAIN}"),
            ("Mandataire (OCCE 79)", f"mandataire.79@{DEMO_DOMAIN}"),
            ("Animateur·rice (OCCE 79)", f"animateur.79@{DEMO_DOMAIN}"),
            ("Trésorier·e (OCCE 79)", f"tresorier.79@{DEMO_DOMAIN}"),
            ("Enseignant·e (OCCE 84)", f"enseignant.84@{DEMO_DOMAIN}"),
            ("Mandataire (OCCE 84)", f"mandataire.84@{DEMO_DOMAIN}"),
            ("Animateur·rice (OCCE 84)", f"animateur.84@{DEMO_DOMAIN}"),
            ("Trésorier·e (OCCE 84)", f"tresorier.84@{DEMO_DOMAIN}"),
            ("Administration fédérale", f"federation@{DEMO_DOMAIN}"),
        ]
        for role, email in rows:
            write(f"  {role:<28} {email}")
        write("")
