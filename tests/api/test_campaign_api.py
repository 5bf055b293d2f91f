import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests import factories
from trousse.campaigns.models import Campaign, CampaignTransition, Status

from ..campaigns.conftest import jpeg_upload
from .conftest import client_for

pytestmark = pytest.mark.django_db


def _in(days):
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


@pytest.fixture
def payload():
    return {
        "title": "Jardin potager",
        "summary": "Un potager dans la cour.",
        "description": "Des **graines** et des outils.",
        "theme": "environment",
        "school_level": "maternelle",
        "pupils_count": 20,
        "minimum_goal_cents": 30_000,
        "optimum_goal_cents": 40_000,
        "start_date": _in(2),
        "deadline": _in(30),
        "budget_lines": [{"label": "Outils", "category": "equipment", "amount_cents": 25_000}, {"label": "Graines", "category": "other", "amount_cents": 15_000}],
    }


def test_teacher_creates_edits_and_submits_through_the_api(teacher, payload):
    client = client_for(teacher)
    response = client.post("/api/v1/campaigns/create/", payload, format="json")
    assert response.status_code == 201, response.data
    body = response.data
    assert body["status"] == "draft"
    assert body["description_html"] == "<p>Des <strong>graines</strong> et des outils.</p>"
    assert body["budget_total_cents"] == 40_000
    slug = body["slug"]
    response = client.patch(f"/api/v1/campaigns/{slug}/update/", {"budget_lines": [{"label": "Outils", "category": "equipment", "amount_cents": 45_000}]}, format="json")
    assert response.status_code == 200
    assert [line["amount_cents"] for line in response.data["budget_lines"]] == [45_000]
    response = client.post(f"/api/v1/campaigns/{slug}/submit/")
    assert response.status_code == 200
    assert response.data["status"] == "submitted"


def test_rule_violations_are_400_with_the_field(teacher, payload):
    payload["optimum_goal_cents"] = 70_000
    response = client_for(teacher).post("/api/v1/campaigns/create/", payload, format="json")
    assert response.status_code == 400
    assert "double" in response.data["fields"]["optimum_goal_cents"]
    assert not Campaign.objects.exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"budget_lines": "beaucoup"},
        {"budget_lines": [{"label": "x", "category": "equipment", "amount_cents": "12,50"}]},
        {"start_date": "demain"},
        {"pupils_count": -3},
        {"minimum_goal_cents": 12.5},
        {"theme": None},
    ],
)
def test_malformed_input_is_a_400_never_a_500(teacher, payload, changes):
    payload.update(changes)
    response = client_for(teacher).post("/api/v1/campaigns/create/", payload, format="json")
    assert response.status_code == 400
    assert not Campaign.objects.exists()


def test_not_json_at_all_is_a_400(teacher):
    response = client_for(teacher).generic("POST", "/api/v1/campaigns/create/", "{pas du json", content_type="application/json")
    assert response.status_code == 400


def test_cooperative_is_guessed_for_a_teacher_of_one_and_required_otherwise(teacher, payload, cooperative):
    assert client_for(teacher).post("/api/v1/campaigns/create/", payload, format="json").status_code == 201
    factories.MembershipFactory(user=teacher, role="teacher", cooperative=factories.CooperativeFactory())
    teacher._actor_scope = None
    response = client_for(type(teacher).objects.get(pk=teacher.pk)).post("/api/v1/campaigns/create/", payload, format="json")
    assert response.status_code == 400
    assert "cooperative" in response.data


def test_picture_upload_refuses_non_images_with_a_clear_400(teacher, campaign):
    client = client_for(teacher)
    fake = SimpleUploadedFile("photo.jpg", b"<?php system($_GET['c']); ?>", content_type="image/jpeg")
    response = client.post(f"/api/v1/campaigns/{campaign.slug}/images/", {"upload": fake, "alt_text": "x", "consent_confirmed": "true"}, format="multipart")
    assert response.status_code == 400
    assert "pas une image" in response.data["fields"]["upload"]
    response = client.post(f"/api/v1/campaigns/{campaign.slug}/images/", {"upload": jpeg_upload(), "alt_text": "La classe", "consent_confirmed": "true"}, format="multipart")
    assert response.status_code == 201
    assert response.data["thumbnail_url"].endswith("_vignette.jpg")


def test_approving_twice_is_a_409(animator, cooperative, teacher):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUBMITTED, submitted_at=timezone.now())
    client = client_for(animator)
    assert client.post(f"/api/v1/campaigns/{campaign.slug}/review/approve/").status_code == 200
    response = client.post(f"/api/v1/campaigns/{campaign.slug}/review/approve/")
    assert response.status_code == 409
    assert "validé" in response.data["detail"]
    assert CampaignTransition.objects.count() == 1


def test_public_list_shows_only_live_campaigns_paginated_and_filtered(ad, other_ad):
    live = factories.CampaignFactory(cooperative=factories.CooperativeFactory(ad=ad), status=Status.LIVE, theme="sciences")
    factories.CampaignFactory(cooperative=factories.CooperativeFactory(ad=other_ad), status=Status.LIVE)
    factories.CampaignFactory(status=Status.DRAFT)
    response = client_for(None).get("/api/v1/campaigns/")
    assert response.data["count"] == 2
    response = client_for(None).get("/api/v1/campaigns/", {"department": "79", "theme": "sciences"})
    assert [item["slug"] for item in response.data["results"]] == [live.slug]
    assert response.data["results"][0]["cooperative"]["department"] == "79"
    assert client_for(None).get("/api/v1/campaigns/", {"theme": "astrologie"}).status_code == 400


def test_my_campaigns_and_the_queue_are_scoped(world):
    mine = world.campaign(Status.SUBMITTED)
    factories.CampaignFactory(cooperative=world.other_cooperative, status=Status.SUBMITTED, submitted_at=timezone.now())
    response = client_for(world.users["teacher"]).get("/api/v1/me/campaigns/")
    assert [item["slug"] for item in response.data["results"]] == [mine.slug]
    assert client_for(world.users["other_animator"]).get("/api/v1/reviews/").data["results"] == []
    queue = client_for(world.users["animator"]).get("/api/v1/reviews/").data["results"]
    assert len(queue) == 2
    assert queue[0]["waiting_seconds"] >= 0


def test_request_changes_then_the_teacher_reads_the_comments_and_the_trail(animator, teacher, cooperative):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUBMITTED, submitted_at=timezone.now())
    response = client_for(animator).post(
        f"/api/v1/campaigns/{campaign.slug}/review/request-changes/", {"field_comments": {"budget_lines": "Ajoutez le devis du car"}, "message": "Presque"}, format="json"
    )
    assert response.status_code == 200
    assert response.data["campaign_status"] == "draft"
    client = client_for(teacher)
    assert client.get(f"/api/v1/campaigns/{campaign.slug}/review/comments/").data == {"budget_lines": "Ajoutez le devis du car", "__all__": "Presque"}
    trail = client.get(f"/api/v1/campaigns/{campaign.slug}/audit/").data
    assert trail[-1]["field_comments"] == [{"field": "budget_lines", "label": "budget", "comment": "Ajoutez le devis du car"}]
    assert trail[-1]["actor"] == str(animator)


def test_unknown_field_in_request_changes_is_a_400(animator, cooperative, teacher):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUBMITTED)
    response = client_for(animator).post(f"/api/v1/campaigns/{campaign.slug}/review/request-changes/", {"field_comments": {"iban": "x"}}, format="json")
    assert response.status_code == 400


# --- A live campaign's change waits for review; the campaign stays public ---


def test_a_live_campaign_edited_through_the_api_stays_public_until_its_change_is_approved(animator, teacher, cooperative):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE)
    public_summary = campaign.summary
    teacher_client, animator_client = client_for(teacher), client_for(animator)
    response = teacher_client.patch(f"/api/v1/campaigns/{campaign.slug}/update/", {"summary": "Un résumé corrigé."}, format="json")
    # Accepted, not done: the answer is the pending change.
    assert response.status_code == 202, response.data
    assert (response.data["state"], response.data["version"], response.data["summary"]) == ("pending", 1, "Un résumé corrigé.")
    assert client_for(None).get(f"/api/v1/campaigns/{campaign.slug}/").data["summary"] == public_summary

    (queued,) = animator_client.get("/api/v1/reviews/").data["results"]
    assert (queued["slug"], queued["is_revision"], queued["revision_version"]) == (campaign.slug, True, 1)
    revision = animator_client.get(f"/api/v1/campaigns/{campaign.slug}/review/revision/").data
    assert revision["version"] == 1
    assert [(change["field"], change["before"], change["after"]) for change in revision["changes"]] == [("summary", public_summary, "Un résumé corrigé.")]
    assert animator_client.get(f"/api/v1/campaigns/{campaign.slug}/review/diff/").data == revision["changes"]

    approve = f"/api/v1/campaigns/{campaign.slug}/review/approve/"
    response = animator_client.post(approve, {}, format="json")
    assert response.status_code == 400 and "revision_version" in response.data["fields"]
    teacher_client.patch(f"/api/v1/campaigns/{campaign.slug}/update/", {"title": "Classe de mer, version 2"}, format="json")
    response = animator_client.post(approve, {"revision_version": 1}, format="json")
    assert response.status_code == 409 and "relisez-la" in response.data["detail"]
    response = animator_client.post(approve, {"revision_version": 2, "comment": "Merci"}, format="json")
    assert response.status_code == 200, response.data
    assert (response.data["decision"], response.data["campaign_status"], response.data["revision_version"]) == ("approved", "live", 2)
    detail = client_for(None).get(f"/api/v1/campaigns/{campaign.slug}/").data
    assert (detail["summary"], detail["title"], detail["status"]) == ("Un résumé corrigé.", "Classe de mer, version 2", "live")
    assert animator_client.get(f"/api/v1/campaigns/{campaign.slug}/review/revision/").status_code == 404
    trail = teacher_client.get(f"/api/v1/campaigns/{campaign.slug}/audit/").data
    assert [(entry["kind"], entry["label"], entry["comment"]) for entry in trail[-2:]] == [
        ("revision", "Modification proposée", ""),
        ("revision", "Modification validée et publiée", "Merci"),
    ]


def test_a_picture_added_to_a_live_campaign_is_not_public_until_approved(animator, teacher, cooperative):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE)
    response = client_for(teacher).post(
        f"/api/v1/campaigns/{campaign.slug}/images/", {"upload": jpeg_upload(), "alt_text": "Le phare", "consent_confirmed": "true"}, format="multipart"
    )
    assert response.status_code == 201 and response.data["published"] is False
    assert client_for(None).get(f"/api/v1/campaigns/{campaign.slug}/").data["images"] == []
    assert client_for(None).get("/api/v1/campaigns/").data["results"][0]["cover"] is None
    revision = client_for(teacher).get(f"/api/v1/campaigns/{campaign.slug}/review/revision/").data
    assert [image["alt_text"] for image in revision["pending_images"]] == ["Le phare"]
    assert [change["field"] for change in revision["changes"]] == ["images"]
    response = client_for(animator).post(f"/api/v1/campaigns/{campaign.slug}/review/reject/", {"reason": "Visages d'élèves", "revision_version": 1}, format="json")
    assert response.status_code == 200 and response.data["campaign_status"] == "live"
    assert client_for(teacher).get(f"/api/v1/campaigns/{campaign.slug}/").data["images"] == []
