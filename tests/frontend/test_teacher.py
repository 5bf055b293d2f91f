import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from trousse.campaigns.models import Campaign, CampaignImage, CampaignUpdate, Status
from trousse.moderation import services as moderation_services
from tests import factories

from .conftest import png_upload

pytestmark = pytest.mark.django_db


def campaign_post_data(**overrides):
    start = timezone.localdate() + datetime.timedelta(days=3)
    data = {
        "title": "Un potager dans la cour",
        "summary": "Des bacs et des outils pour cultiver le potager de l'école.",
        "description": "Les élèves veulent **faire pousser** leurs légumes.",
        "theme": "environment",
        "school_level": "elementaire",
        "pupils_count": "25",
        "minimum_goal": "600",
        "optimum_goal": "800,50",
        "co_funding": "100",
        "co_funding_description": "Mairie",
        "start_date": start.isoformat(),
        "deadline": (start + datetime.timedelta(days=30)).isoformat(),
        "budget-TOTAL_FORMS": "3",
        "budget-INITIAL_FORMS": "0",
        "budget-MIN_NUM_FORMS": "0",
        "budget-MAX_NUM_FORMS": "50",
        "budget-0-label": "Bacs en bois",
        "budget-0-category": "equipment",
        "budget-0-amount": "480",
        "budget-1-label": "Outils et graines",
        "budget-1-category": "equipment",
        "budget-1-amount": "420",
        "budget-2-label": "",
        "budget-2-category": "equipment",
        "budget-2-amount": "",
    }
    data.update(overrides)
    return data


def test_teacher_creates_a_draft_with_its_budget(client, teacher, cooperative):
    client.force_login(teacher)
    assert client.get(reverse("campaign_create")).status_code == 200

    response = client.post(reverse("campaign_create"), campaign_post_data(cooperative=str(cooperative.pk)))

    campaign = Campaign.objects.get(title="Un potager dans la cour")
    assert response.status_code == 302 and response["Location"] == reverse("campaign_manage", args=[campaign.slug])
    assert campaign.status == Status.DRAFT and campaign.teacher == teacher
    assert campaign.optimum_goal_cents == 80_050
    assert [(line.label, line.amount_cents) for line in campaign.budget_lines.all()] == [("Bacs en bois", 48_000), ("Outils et graines", 42_000)]
    page = client.get(response["Location"]).content.decode()
    assert "Le projet est enregistré en brouillon" in page and "Envoyer en relecture" in page


def test_create_form_shows_field_errors_and_writes_nothing(client, teacher, cooperative):
    client.force_login(teacher)
    response = client.post(reverse("campaign_create"), campaign_post_data(cooperative=str(cooperative.pk), title="", minimum_goal="douze"))
    assert response.status_code == 400
    content = response.content.decode()
    assert "Ce champ est obligatoire" in content
    assert "n&#x27;est pas un montant en euros" in content
    assert not Campaign.objects.exists()


def test_create_shows_the_services_refusal_next_to_the_field(client, teacher, cooperative):
    client.force_login(teacher)
    # The minimum goal cannot exceed the budget minus the co-funding: a rule of the service.
    response = client.post(reverse("campaign_create"), campaign_post_data(cooperative=str(cooperative.pk), minimum_goal="850", optimum_goal="900"))
    assert response.status_code == 400
    assert "ne peut dépasser le budget" in response.content.decode()
    assert not Campaign.objects.exists()


def test_create_refuses_an_empty_budget(client, teacher, cooperative):
    client.force_login(teacher)
    data = campaign_post_data(cooperative=str(cooperative.pk))
    for n in (0, 1):
        data[f"budget-{n}-label"] = data[f"budget-{n}-amount"] = ""
    response = client.post(reverse("campaign_create"), data)
    assert response.status_code == 400 and "Le budget doit compter au moins une ligne" in response.content.decode()


def test_only_teachers_may_create(client, animator, mandataire):
    for user in (animator, mandataire):
        client.force_login(user)
        assert client.get(reverse("campaign_create")).status_code == 403


def test_teacher_edits_the_draft_and_sees_the_review_comments(client, teacher, animator, campaign):
    moderation_services.review_request_changes(actor=animator, campaign=factories_submit(campaign), field_comments={"title": "Un titre plus court, s'il vous plaît."})
    client.force_login(teacher)
    url = reverse("campaign_edit", args=[campaign.slug])

    page = client.get(url).content.decode()
    assert "Un titre plus court" in page

    data = campaign_post_data(
        title="Classe de mer",
        minimum_goal="1000",
        optimum_goal="1500",
        co_funding="200",
        **{"budget-TOTAL_FORMS": "2", "budget-0-amount": "600", "budget-1-amount": "1100"},
    )
    response = client.post(url, data)
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.title == "Classe de mer"
    assert campaign.budget_total_cents == 170_000


def factories_submit(campaign):
    campaign.status = Status.SUBMITTED
    campaign.submitted_at = timezone.now()
    campaign.save()
    return campaign


def test_colleague_may_see_but_not_edit_and_other_ad_may_not_know(client, campaign, other_teacher, other_cooperative):
    client.force_login(other_teacher)
    assert client.get(reverse("campaign_manage", args=[campaign.slug])).status_code == 200
    assert client.get(reverse("campaign_edit", args=[campaign.slug])).status_code == 403
    assert client.post(reverse("campaign_submit", args=[campaign.slug])).status_code == 403

    stranger = factories.teacher_of(other_cooperative)
    client.force_login(stranger)
    assert client.get(reverse("campaign_manage", args=[campaign.slug])).status_code == 404
    assert client.get(reverse("campaign_edit", args=[campaign.slug])).status_code == 404


def test_teacher_uploads_and_removes_a_picture(client, teacher, campaign):
    client.force_login(teacher)
    url = reverse("campaign_image_add", args=[campaign.slug])

    response = client.post(url, {"upload": png_upload(), "alt_text": "La classe au bord de la mer", "consent_confirmed": "on"})
    assert response.status_code == 302
    image = CampaignImage.objects.get(campaign=campaign)
    assert image.alt_text == "La classe au bord de la mer" and image.consent_confirmed

    response = client.post(reverse("campaign_image_remove", args=[campaign.slug, image.pk]))
    assert response.status_code == 302 and not CampaignImage.objects.exists()


def test_picture_needs_consent_and_must_be_an_image(client, teacher, campaign):
    client.force_login(teacher)
    url = reverse("campaign_image_add", args=[campaign.slug])

    response = client.post(url, {"upload": png_upload(), "alt_text": "La classe"})
    assert response.status_code == 400 and "accord des parents" in response.content.decode()

    fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 pas une image", content_type="image/jpeg")
    response = client.post(url, {"upload": fake, "alt_text": "La classe", "consent_confirmed": "on"})
    assert response.status_code == 400 and "pas une image lisible" in response.content.decode()
    assert not CampaignImage.objects.exists()


def test_teacher_submits_then_may_not_submit_twice(client, teacher, campaign):
    client.force_login(teacher)
    response = client.post(reverse("campaign_submit", args=[campaign.slug]), follow=True)
    campaign.refresh_from_db()
    assert campaign.status == Status.SUBMITTED
    assert "Projet envoyé en relecture" in response.content.decode()

    response = client.post(reverse("campaign_submit", args=[campaign.slug]), follow=True)
    assert response.status_code == 200 and "ne peut passer" in response.content.decode()


def test_news_on_a_live_campaign_shows_on_its_page(client, teacher, cooperative):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE)
    client.force_login(teacher)
    response = client.post(reverse("campaign_news_post", args=[campaign.slug]), {"title": "Le car est réservé", "body": "Départ **lundi** à 8 h."})
    assert response.status_code == 302
    assert CampaignUpdate.objects.filter(campaign=campaign).count() == 1
    page = client.get(reverse("campaign_detail", args=[campaign.slug])).content.decode()
    assert "Le car est réservé" in page and "<strong>lundi</strong>" in page


def test_news_is_refused_before_the_collection_opens(client, teacher, campaign):
    client.force_login(teacher)
    assert client.post(reverse("campaign_news_post", args=[campaign.slug]), {"title": "Trop tôt", "body": "..."}).status_code == 403


def test_teacher_cancels_with_a_reason(client, teacher, campaign):
    client.force_login(teacher)
    url = reverse("campaign_cancel", args=[campaign.slug])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "Sortie annulée par l'inspection."}).status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == Status.CANCELLED


def test_dashboard_lists_the_users_campaigns_only(client, teacher, campaign, other_cooperative):
    hidden = factories.CampaignFactory(cooperative=other_cooperative, title="Projet d'une autre AD")
    client.force_login(teacher)
    content = client.get(reverse("dashboard")).content.decode()
    assert campaign.title.replace("'", "&#x27;") in content
    assert hidden.title.replace("'", "&#x27;") not in content


def test_the_dashboard_tells_a_draft_sent_back_with_remarks_from_a_fresh_one(client, teacher, cooperative, animator):
    fresh = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.DRAFT, title="Un brouillon neuf")
    sent_back = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUBMITTED, title="Un projet relu")
    moderation_services.review_request_changes(actor=animator, campaign=sent_back, field_comments={"summary": "Précisez la date."})
    client.force_login(teacher)
    content = client.get(reverse("dashboard")).content.decode()
    rows = {title: content[content.index(title):][:600] for title in (fresh.title, sent_back.title)}
    assert "à corriger" in rows[sent_back.title]
    assert "à corriger" not in rows[fresh.title] and "brouillon" in rows[fresh.title]


# --- Editing a live campaign: the change waits for review, the page stays online ---


def _live_edit_data(campaign, **overrides):
    """The edit form as a browser posts it for `campaign`, with `overrides`."""
    data = campaign_post_data(
        title=campaign.title,
        summary=campaign.summary,
        description=campaign.description,
        theme=campaign.theme,
        school_level=campaign.school_level,
        pupils_count=str(campaign.pupils_count),
        minimum_goal=str(campaign.minimum_goal_cents // 100),
        optimum_goal=str(campaign.optimum_goal_cents // 100),
        co_funding=str(campaign.co_funding_cents // 100),
        co_funding_description=campaign.co_funding_description,
        start_date=campaign.start_date.isoformat(),
        deadline=campaign.deadline.isoformat(),
    )
    lines = list(campaign.budget_lines.all())
    data["budget-TOTAL_FORMS"] = str(len(lines))
    data["budget-INITIAL_FORMS"] = str(len(lines))
    for key in [key for key in data if key.startswith("budget-") and key.split("-")[1].isdigit()]:
        del data[key]
    for n, line in enumerate(lines):
        data.update({f"budget-{n}-label": line.label, f"budget-{n}-category": line.category, f"budget-{n}-amount": str(line.amount_cents // 100)})
    data.update(overrides)
    return data


def test_editing_a_live_campaign_keeps_its_page_online_and_prefills_the_proposal(client, teacher, animator, cooperative):
    from trousse.campaigns.models import CampaignRevision
    from trousse.moderation.selectors import campaign_diff

    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE, approved_snapshot={"title": "x"})
    public_summary = campaign.summary
    client.force_login(teacher)
    url = reverse("campaign_edit", args=[campaign.slug])
    assert "la page publique garde la version validée et la collecte continue" in client.get(url).content.decode()

    response = client.post(url, _live_edit_data(campaign, summary="Un résumé sans faute de frappe."), follow=True)
    assert response.redirect_chain[-1][0] == reverse("campaign_manage", args=[campaign.slug])
    page = response.content.decode()
    assert "Modifications envoyées en relecture" in page
    assert "Une modification attend la relecture de l" in page and "Ce qui change : résumé." in page
    campaign.refresh_from_db()
    assert (campaign.status, campaign.summary) == (Status.LIVE, public_summary)
    assert client.get(reverse("campaign_detail", args=[campaign.slug])).status_code == 200
    assert [change.field for change in campaign_diff(campaign=campaign)] == ["summary"]

    # The form goes on from the proposal, not from the public version.
    page = client.get(url).content.decode()
    assert "Un résumé sans faute de frappe." in page and "Votre modification attend la relecture" in page
    # Saving it untouched is no new version.
    client.post(url, _live_edit_data(campaign, summary="Un résumé sans faute de frappe."))
    assert CampaignRevision.objects.get(campaign=campaign).version == 1


def test_the_teacher_sees_the_animators_remarks_on_the_change(client, teacher, animator, cooperative):
    from trousse.campaigns.services import campaign_update

    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE, approved_snapshot={"title": "x"})
    campaign_update(actor=teacher, campaign=campaign, summary="Un résumé sans faute de frappe.")
    moderation_services.review_request_changes(actor=animator, campaign=campaign, field_comments={"summary": "Nommez l'école."}, revision_version=1)
    client.force_login(teacher)
    manage = client.get(reverse("campaign_manage", args=[campaign.slug])).content.decode()
    assert "demande des changements à votre modification" in manage and "Nommez l&#x27;école." in manage
    edit = client.get(reverse("campaign_edit", args=[campaign.slug])).content.decode()
    assert "Nommez l&#x27;école." in edit and "Un résumé sans faute de frappe." in edit


def test_a_picture_added_to_a_live_campaign_waits_for_review(client, teacher, cooperative):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE)
    client.force_login(teacher)
    response = client.post(reverse("campaign_image_add", args=[campaign.slug]), {"upload": png_upload(), "alt_text": "Le potager en fleurs", "consent_confirmed": "on"})
    assert response.status_code == 302
    assert "en attente de validation" in client.get(reverse("campaign_manage", args=[campaign.slug])).content.decode()
    assert "Le potager en fleurs" not in client.get(reverse("campaign_detail", args=[campaign.slug])).content.decode()


def test_the_dashboard_says_a_change_is_waiting(client, teacher, cooperative):
    from trousse.campaigns.services import campaign_update

    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE)
    campaign_update(actor=teacher, campaign=campaign, summary="Un résumé sans faute de frappe.")
    client.force_login(teacher)
    assert "modification en relecture" in client.get(reverse("dashboard")).content.decode()


def test_the_manage_page_says_why_a_waiting_change_was_dropped(client, teacher, cooperative):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE, approved_snapshot={"title": "x"})
    client.force_login(teacher)
    client.post(reverse("campaign_edit", args=[campaign.slug]), _live_edit_data(campaign, summary="Un résumé sans faute de frappe."))
    assert client.post(reverse("campaign_cancel", args=[campaign.slug]), {"reason": "Sortie annulée par l'inspection."}).status_code == 302

    page = client.get(reverse("campaign_manage", args=[campaign.slug])).content.decode()
    trail = page[page.index("Historique"):]
    # The cancellation, then what it did to the change that was waiting: the teacher sees why it vanished.
    assert trail.index("→ annulé") < trail.index("Modification abandonnée : le projet est annulé")
    assert "Une modification attend la relecture" not in page
