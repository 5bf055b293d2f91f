"""A teacher writes a campaign, the animator asks for a change, the teacher fixes it, the animator approves, it goes live."""

import datetime
import io

import pytest
from django.utils import timezone
from PIL import Image, ImageDraw

from trousse.campaigns.models import Campaign, Status
from trousse.campaigns.services import campaigns_advance_by_date

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def picture_bytes() -> bytes:
    image = Image.new("RGB", (320, 240), (144, 202, 249))
    ImageDraw.Draw(image).ellipse((100, 60, 220, 180), fill=(255, 214, 0))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG")
    return buffer.getvalue()


def test_campaign_from_draft_to_the_home_page(page, journey_people, log_in, log_out):
    teacher, animator = journey_people["teacher"], journey_people["animator"]
    today = timezone.localdate()

    # The teacher writes the campaign.
    log_in(teacher.email)
    page.get_by_role("link", name="Nouveau projet").click()
    page.get_by_label("Titre du projet").fill("Un potager dans la cour de l'école des Sablières")
    page.get_by_label("Résumé").fill("Des bacs et des outils pour cultiver le potager.")
    page.get_by_label("Présentation du projet").fill("Les élèves veulent **faire pousser** leurs légumes.")
    page.get_by_label("Thème").select_option("environment")
    page.get_by_label("Niveau").select_option("elementaire")
    page.get_by_label("Nombre d'élèves").fill("25")
    page.get_by_label("Objectif minimum (€)").fill("600")
    page.get_by_label("Objectif optimum (€)").fill("800")
    page.get_by_label("Début de la collecte").fill(today.isoformat())
    page.get_by_label("Fin de la collecte").fill((today + datetime.timedelta(days=30)).isoformat())
    page.locator("#id_budget-0-label").fill("Bacs en bois")
    page.locator("#id_budget-0-category").select_option("equipment")
    page.locator("#id_budget-0-amount").fill("500")
    page.get_by_role("button", name="Ajouter une ligne").click()  # budget.js adds a third row
    page.locator("#id_budget-2-label").fill("Outils et graines")
    page.locator("#id_budget-2-amount").fill("350,50")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    page.get_by_text("Le projet est enregistré en brouillon").wait_for()
    campaign = Campaign.objects.get()
    assert campaign.budget_total_cents == 85_050

    # ... adds a picture, with the parents' consent, and submits it.
    page.locator("#id_upload").set_input_files(files=[{"name": "potager.jpg", "mimeType": "image/jpeg", "buffer": picture_bytes()}])
    page.get_by_label("Description de la photo").fill("Les bacs du potager au soleil")
    page.get_by_label("Les parents des élèves reconnaissables").check()
    page.get_by_role("button", name="Envoyer la photo").click()
    page.get_by_text("Photo ajoutée.").wait_for()
    assert page.get_by_role("img", name="Les bacs du potager au soleil").count() == 1
    page.get_by_role("button", name="Envoyer en relecture").click()
    page.get_by_text("Projet envoyé en relecture").wait_for()
    log_out()

    # The animator asks for a shorter title.
    log_in(animator.email)
    page.get_by_role("link", name="Relectures").first.click()
    page.get_by_role("link", name="Un potager dans la cour de l'école des Sablières", exact=True).click()
    page.get_by_label("Remarque sur : titre").fill("Un titre plus court, s'il vous plaît.")
    page.get_by_role("button", name="Demander ces modifications").click()
    page.get_by_text("Demande de modifications envoyée").wait_for()
    log_out()

    # The teacher sees the remark next to the field, fixes it and submits again.
    log_in(teacher.email)
    page.get_by_role("link", name="Un potager dans la cour de l'école des Sablières", exact=True).click()
    page.get_by_role("link", name="Modifier le projet").click()
    assert page.get_by_text("Un titre plus court, s'il vous plaît.").is_visible()
    page.get_by_label("Titre du projet").fill("Un potager dans la cour")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    page.get_by_text("Modifications enregistrées").wait_for()
    page.get_by_role("button", name="Envoyer en relecture").click()
    page.get_by_text("Projet envoyé en relecture").wait_for()
    log_out()

    # The animator approves.
    log_in(animator.email)
    page.goto("/relectures/")
    page.get_by_role("link", name="Un potager dans la cour", exact=True).click()
    page.get_by_role("button", name="Valider", exact=True).click()
    page.get_by_text("Projet validé").wait_for()
    campaign.refresh_from_db()
    assert campaign.status == Status.APPROVED

    # The scheduler opens collections starting today; the campaign shows on the home page.
    campaigns_advance_by_date()
    page.goto("/")
    page.get_by_role("link", name="Un potager dans la cour", exact=True).click()
    assert page.get_by_role("heading", name="Un potager dans la cour", level=1).is_visible()
    assert page.get_by_role("cell", name="Outils et graines").is_visible()
