"""National-scale data for the bench, written once with bulk_create and reused.

About 100 ADs, 50 cooperatives each, one teacher per cooperative and 20 000
campaigns in every state (a quarter of them live, as a busy spring would have),
each with three budget lines and one picture row. Pictures point at a few shared
small files: the bench measures pages, not image decoding.

The data is deterministic (a fixed random seed), so two runs compare.
raised_cents stays 0: money only moves through the payments and ledger services,
and a bench database must still pass `ledger_check`.
"""

from __future__ import annotations

import datetime
import io
import random
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/trousse_bench"
SLUG_PREFIX = "bench-"
COOPERATIVES_PER_AD = 50
CAMPAIGNS_PER_BATCH = 2000

# Real département numbers: the filters show them as they are.
DEPARTMENTS = [f"{n:02d}" for n in range(1, 20)] + ["2A", "2B"] + [f"{n:02d}" for n in range(21, 96)] + ["971", "972", "973", "974"]

# Share of each status among the seeded campaigns (sums to 100).
STATUS_MIX = {
    "live": 25,
    "closed": 25,
    "funded": 10,
    "succeeded": 8,
    "failed": 5,
    "draft": 10,
    "submitted": 6,
    "approved": 5,
    "rejected": 3,
    "cancelled": 3,
}

TITLE_SUBJECTS = [
    "Classe de mer", "Classe verte", "Un potager à l'école", "Des livres pour la BCD", "Théâtre en CM2",
    "Chorale et percussions", "Robots et programmation", "Voyage à Paris", "Les abeilles de l'école",
    "Un journal de classe", "Initiation à la voile", "Découverte du cinéma", "Les petits scientifiques",
    "Cour oasis", "Correspondance avec le Québec", "Ateliers d'arts plastiques", "Sortie au musée",
]
PLACES = ["à l'île d'Aix", "dans le Marais poitevin", "au Mont Ventoux", "en Bretagne", "à Lyon", "au Puy du Fou", "dans les Pyrénées", "à Marseille"]
BUDGET_LABELS = {
    "transport": "Transport en car",
    "accommodation": "Hébergement et repas",
    "activities": "Ateliers et intervenants",
    "equipment": "Matériel pédagogique",
    "books": "Livres et fournitures",
}


@dataclass
class SeedInfo:
    campaigns: int
    live_slugs: list[str]
    # A département and a theme with live campaigns, for the filtered listing.
    listing_department: str
    listing_theme: str
    seconds: float = 0.0
    created: bool = False


def ensure_database(url: str) -> bool:
    """Create the PostgreSQL database named in `url` when missing; True if it was created."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name == "trousse":
        raise SystemExit("The bench needs a database of its own (BENCH_DATABASE_URL), never 'trousse'.")
    maintenance = urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    return False


def drop_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _write_shared_pictures(media_root: Path, count: int = 4) -> list[tuple[str, str, int, int]]:
    """A few small JPEGs every picture row points at: (large, thumbnail, width, height)."""
    from PIL import Image

    folder = media_root / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    pictures = []
    colours = [(214, 93, 14), (42, 120, 180), (80, 160, 90), (200, 170, 40)]
    for n in range(count):
        for suffix, size in (("", (1200, 800)), ("-thumb", (400, 266))):
            path = folder / f"cover-{n}{suffix}.jpg"
            if not path.exists():
                buffer = io.BytesIO()
                Image.new("RGB", size, colours[n % len(colours)]).save(buffer, "JPEG", quality=70)
                path.write_bytes(buffer.getvalue())
        pictures.append((f"bench/cover-{n}.jpg", f"bench/cover-{n}-thumb.jpg", 1200, 800))
    return pictures


def _description(rng: random.Random, title: str) -> tuple[str, str]:
    paragraphs = [
        f"Notre projet « {title} » réunit toute la classe autour d'un objectif commun.",
        "Les élèves préparent le projet depuis la rentrée : recherches, exposés et lettres aux partenaires.",
        "Votre don finance le transport, les ateliers et le matériel. Chaque euro compte !",
    ]
    rng.shuffle(paragraphs)
    markdown = "\n\n".join(paragraphs)
    html = "".join(f"<p>{p}</p>" for p in paragraphs)
    return markdown, html


def seed(*, campaigns: int, media_root: Path, rng_seed: int = 2024) -> SeedInfo:
    """Seed `campaigns` campaigns (and their organisations) unless already there."""
    import time

    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.db.models import Count
    from django.utils import timezone

    from trousse.accounts.models import Cooperative, DepartmentalAssociation, Membership, Role, User
    from trousse.accounts.validators import uai_check_letter
    from trousse.campaigns.models import BudgetLine, Campaign, CampaignImage, SchoolLevel, Theme

    existing = Campaign.objects.filter(slug__startswith=SLUG_PREFIX).count()
    started = time.monotonic()
    created = False
    if existing < campaigns:
        if existing:
            raise SystemExit(
                f"The bench database holds {existing} campaigns, fewer than {campaigns}: run `python -m bench --reseed`."
            )
        created = True
        rng = random.Random(rng_seed)
        pictures = _write_shared_pictures(media_root)
        today = timezone.localdate()
        unusable_password = make_password(None)
        themes = list(Theme.values)
        levels = list(SchoolLevel.values)
        statuses = [status for status, share in STATUS_MIX.items() for _ in range(share)]
        with transaction.atomic():
            ads = DepartmentalAssociation.objects.bulk_create(
                DepartmentalAssociation(
                    number=number,
                    name=f"OCCE {number}",
                    address=f"1 rue de l'École\n{number}000 Préfecture" if len(number) == 2 else "1 rue de l'École",
                    siret="73282932000074",
                    president_name=f"Présidence OCCE {number}",
                    iban="FR7630006000011234567890189",
                    bic="AGRIFRPP",
                )
                for number in DEPARTMENTS[:100]
            )
            cooperatives = Cooperative.objects.bulk_create(
                [
                    Cooperative(
                        ad=ad,
                        name=f"Coopérative de l'école n° {n}",
                        affiliation_number=f"B{n:07d}",
                        school_name=f"École {rng.choice(['Jules Ferry', 'Jean Jaurès', 'Marie Curie', 'Victor Hugo', 'Louise Michel'])}",
                        uai=f"{9000000 + n:07d}" + uai_check_letter(f"{9000000 + n:07d}"),
                        city=f"Commune {ad.number}-{n % COOPERATIVES_PER_AD}",
                        iban="FR7630006000011234567890189",
                    )
                    for n, ad in ((ad_index * COOPERATIVES_PER_AD + k, ad) for ad_index, ad in enumerate(ads) for k in range(COOPERATIVES_PER_AD))
                ],
                batch_size=CAMPAIGNS_PER_BATCH,
            )
            teachers = User.objects.bulk_create(
                [User(email=f"bench-enseignant{n}@ac-bench.fr", first_name="Camille", last_name=f"Enseignant {n}", password=unusable_password) for n in range(len(cooperatives))],
                batch_size=CAMPAIGNS_PER_BATCH,
            )
            Membership.objects.bulk_create(
                [Membership(user=user, role=Role.TEACHER, cooperative=coop) for user, coop in zip(teachers, cooperatives)],
                batch_size=CAMPAIGNS_PER_BATCH,
            )
            for first in range(0, campaigns, CAMPAIGNS_PER_BATCH):
                batch = []
                for n in range(first, min(first + CAMPAIGNS_PER_BATCH, campaigns)):
                    index = rng.randrange(len(cooperatives))
                    status = rng.choice(statuses)
                    title = f"{rng.choice(TITLE_SUBJECTS)} {rng.choice(PLACES)}"[:120]
                    markdown, html = _description(rng, title)
                    minimum = rng.randrange(300, 5000) * 100
                    if status in ("live", "approved", "submitted", "draft"):
                        start = today - datetime.timedelta(days=rng.randrange(0, 30)) if status == "live" else today + datetime.timedelta(days=rng.randrange(1, 30))
                    else:
                        start = today - datetime.timedelta(days=rng.randrange(60, 2000))
                    deadline = start + datetime.timedelta(days=rng.randrange(31, 90))
                    batch.append(
                        Campaign(
                            cooperative=cooperatives[index],
                            teacher=teachers[index],
                            title=title,
                            slug=f"{SLUG_PREFIX}{n}",
                            summary=f"{rng.randrange(12, 30)} élèves et leur enseignant·e portent ce projet de classe.",
                            description=markdown,
                            description_html=html,
                            theme=rng.choice(themes),
                            school_level=rng.choice(levels),
                            pupils_count=rng.randrange(12, 30),
                            minimum_goal_cents=minimum,
                            optimum_goal_cents=minimum * rng.choice((2, 2, 3, 4)) // 2,
                            co_funding_cents=rng.choice((0, 0, 10_000, 25_000)),
                            start_date=start,
                            deadline=deadline,
                            status=status,
                            submitted_at=timezone.now() - datetime.timedelta(hours=rng.randrange(1, 400)) if status != "draft" else None,
                        )
                    )
                saved = Campaign.objects.bulk_create(batch)
                lines = []
                images = []
                for campaign in saved:
                    categories = rng.sample(list(BUDGET_LABELS), 3)
                    # The budget covers the minimum goal plus the co-funding, as the service requires.
                    need = campaign.minimum_goal_cents + campaign.co_funding_cents
                    shares = (need // 2, need // 3, need - need // 2 - need // 3)
                    for position, (category, amount) in enumerate(zip(categories, shares)):
                        lines.append(BudgetLine(campaign=campaign, label=BUDGET_LABELS[category], category=category, amount_cents=amount, position=position))
                    large, thumbnail, width, height = pictures[campaign.pk % len(pictures)]
                    images.append(
                        CampaignImage(campaign=campaign, large=large, thumbnail=thumbnail, width=width, height=height, alt_text="Les élèves de la classe", consent_confirmed=True)
                    )
                BudgetLine.objects.bulk_create(lines)
                CampaignImage.objects.bulk_create(images)
        # Fresh statistics, or the planner guesses on empty tables for the first minutes.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    live = Campaign.objects.filter(slug__startswith=SLUG_PREFIX, status="live")
    slugs = list(live.order_by("pk").values_list("slug", flat=True)[:500])
    busiest = (
        live.values("cooperative__ad__number", "theme")
        .order_by()
        .annotate(n=Count("id"))
        .order_by("-n", "cooperative__ad__number", "theme")
        .first()
    )
    random.Random(rng_seed).shuffle(slugs)
    return SeedInfo(
        campaigns=Campaign.objects.filter(slug__startswith=SLUG_PREFIX).count(),
        live_slugs=slugs,
        listing_department=busiest["cooperative__ad__number"] if busiest else "79",
        listing_theme=busiest["theme"] if busiest else "sciences",
        seconds=time.monotonic() - started,
        created=created,
    )
