import datetime

import pytest
from django.utils import timezone

from tests import factories
from trousse.campaigns import services
from trousse.campaigns.models import BudgetLine, Campaign, CampaignImage, CampaignRevision, CampaignTransition, RevisionState, Status
from trousse.campaigns.services import BudgetLineData, campaign_create, campaign_goal_exception_set, campaign_image_add, campaign_image_remove, campaign_news_post, campaign_update
from trousse.exceptions import ApplicationError, ConflictError

from .conftest import jpeg_upload

pytestmark = pytest.mark.django_db


def test_teacher_creates_a_draft_with_its_budget_and_rendered_description(teacher, campaign_values):
    campaign = campaign_create(actor=teacher, **campaign_values)
    assert campaign.status == Status.DRAFT
    assert campaign.teacher == teacher
    assert campaign.slug == "classe-de-mer-a-lile-daix"
    assert campaign.description_html == "<p>Nous partons <strong>trois jours</strong>.</p>"
    assert [(line.label, line.amount_cents) for line in campaign.budget_lines.all()] == [("Transport en car", 60_000), ("Hébergement", 110_000)]


def test_same_title_gets_a_unique_slug(teacher, campaign_values):
    first = campaign_create(actor=teacher, **campaign_values)
    second = campaign_create(actor=teacher, **campaign_values)
    assert first.slug != second.slug
    assert second.slug == f"{first.slug}-2"


def test_only_a_teacher_of_the_cooperative_creates(cooperative, campaign_values, animator):
    outsider = factories.teacher_of(factories.CooperativeFactory())
    for actor in (outsider, animator, factories.mandataire_of(cooperative)):
        with pytest.raises(ApplicationError) as error:
            campaign_create(actor=actor, **campaign_values)
        assert error.value.status_code == 403
    assert not Campaign.objects.exists()


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"optimum_goal_cents": 200_001}, "optimum_goal_cents"),  # optimum above twice the minimum
        ({"optimum_goal_cents": 90_000}, "optimum_goal_cents"),  # optimum below minimum
        ({"minimum_goal_cents": 160_000, "optimum_goal_cents": 160_000}, "minimum_goal_cents"),  # above budget minus co-funding
        ({"deadline_days": 0}, "deadline"),  # deadline not after start
        ({"deadline_days": 91}, "deadline"),  # more than 90 days
        ({"start_days": -1}, "start_date"),  # starts in the past
        ({"title": "  "}, "title"),
        ({"theme": "astrologie"}, "theme"),
        ({"pupils_count": 0}, "pupils_count"),
        ({"budget_lines": []}, "budget_lines"),
        ({"budget_lines": [BudgetLineData("Car", "transport", -5)]}, "budget_lines"),
        ({"budget_lines": [BudgetLineData("Car", "fusée", 500_000)]}, "budget_lines"),
    ],
)
def test_rules_are_refused_with_the_field_at_fault(teacher, campaign_values, changes, field):
    values = dict(campaign_values)
    changes = dict(changes)
    start = values["start_date"]
    if "start_days" in changes:
        values["start_date"] = timezone.localdate() + datetime.timedelta(days=changes.pop("start_days"))
    if "deadline_days" in changes:
        values["deadline"] = start + datetime.timedelta(days=changes.pop("deadline_days"))
    values.update(changes)
    with pytest.raises(ApplicationError) as error:
        campaign_create(actor=teacher, **values)
    assert field in error.value.field_errors
    assert error.value.status_code == 400
    assert not Campaign.objects.exists()


def test_ninety_days_is_allowed(teacher, campaign_values):
    campaign_values["deadline"] = campaign_values["start_date"] + datetime.timedelta(days=90)
    assert campaign_create(actor=teacher, **campaign_values).pk


def test_goal_above_5000_euros_needs_the_ad_exception(teacher, animator, campaign_values):
    campaign_values.update(
        minimum_goal_cents=400_000, optimum_goal_cents=600_000, co_funding_cents=0, budget_lines=[BudgetLineData("Voyage", "transport", 700_000)]
    )
    with pytest.raises(ApplicationError) as error:
        campaign_create(actor=teacher, **campaign_values)
    assert "dérogation" in error.value.field_errors["optimum_goal_cents"]
    campaign_values["optimum_goal_cents"] = 500_000
    campaign = campaign_create(actor=teacher, **campaign_values)
    # The teacher cannot grant it; the AD's animator can.
    with pytest.raises(ApplicationError) as forbidden:
        campaign_goal_exception_set(actor=teacher, campaign=campaign, granted=True)
    assert forbidden.value.status_code == 403
    campaign_goal_exception_set(actor=animator, campaign=campaign, granted=True)
    campaign = campaign_update(actor=teacher, campaign=campaign, optimum_goal_cents=600_000)
    assert campaign.optimum_goal_cents == 600_000


def test_update_changes_fields_budget_and_rendering(teacher, campaign):
    campaign = campaign_update(
        actor=teacher, campaign=campaign, description="*Nouveau*", budget_lines=[BudgetLineData("Car", "transport", 90_000), BudgetLineData("Gîte", "accommodation", 90_000)]
    )
    campaign.refresh_from_db()
    assert campaign.description_html == "<p><em>Nouveau</em></p>"
    assert list(BudgetLine.objects.filter(campaign=campaign).values_list("label", flat=True)) == ["Car", "Gîte"]
    assert campaign.status == Status.DRAFT


def test_update_refuses_others_and_unknown_fields(teacher, campaign, animator, cooperative):
    colleague = factories.teacher_of(cooperative)
    for actor in (colleague, animator):
        with pytest.raises(ApplicationError) as error:
            campaign_update(actor=actor, campaign=campaign, title="Piraté")
        assert error.value.status_code == 403
    with pytest.raises(ApplicationError) as error:
        campaign_update(actor=teacher, campaign=campaign, goal_exception=True)
    assert "goal_exception" in error.value.field_errors
    campaign.refresh_from_db()
    assert campaign.title != "Piraté" and not campaign.goal_exception


def test_invalid_update_writes_nothing(teacher, campaign):
    with pytest.raises(ApplicationError):
        campaign_update(actor=teacher, campaign=campaign, title="Nouveau titre", optimum_goal_cents=10)
    campaign.refresh_from_db()
    assert campaign.title != "Nouveau titre"


@pytest.mark.parametrize("status", [Status.APPROVED, Status.LIVE])
def test_editing_an_approved_or_live_campaign_proposes_a_revision_and_changes_nothing_public(teacher, cooperative, status, django_capture_on_commit_callbacks):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=status, approved_snapshot={"title": "x"})
    summary = campaign.summary
    with django_capture_on_commit_callbacks(execute=True):
        campaign = campaign_update(
            actor=teacher, campaign=campaign, summary="Un autre résumé", budget_lines=[BudgetLineData("Car", "transport", 90_000), BudgetLineData("Gîte", "accommodation", 90_000)]
        )
    campaign.refresh_from_db()
    assert (campaign.status, campaign.summary) == (status, summary)
    assert list(BudgetLine.objects.filter(campaign=campaign).values_list("label", flat=True)) != ["Car", "Gîte"]
    assert not CampaignTransition.objects.filter(campaign=campaign).exists()
    revision = CampaignRevision.objects.get(campaign=campaign)
    assert (revision.state, revision.author, revision.values["summary"]) == (RevisionState.PENDING, teacher, "Un autre résumé")
    assert [line["label"] for line in revision.budget_lines] == ["Car", "Gîte"]


def test_at_most_one_open_revision_per_campaign(teacher, cooperative):
    from django.db import IntegrityError, transaction

    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE)
    campaign_update(actor=teacher, campaign=campaign, summary="Un autre résumé")
    first = CampaignRevision.objects.get(campaign=campaign)
    with pytest.raises(IntegrityError), transaction.atomic():
        CampaignRevision.objects.create(campaign=campaign, author=teacher, values=first.values, budget_lines=[], submitted_at=first.submitted_at)


def test_saving_without_a_change_makes_no_revision(teacher, cooperative):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE)
    campaign = campaign_update(actor=teacher, campaign=campaign, title=campaign.title)
    assert campaign.status == Status.LIVE
    assert not CampaignRevision.objects.exists()


@pytest.mark.parametrize("status", [Status.SUCCEEDED, Status.REJECTED, Status.CANCELLED])
def test_ended_campaigns_cannot_be_edited(teacher, cooperative, status):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=status)
    with pytest.raises(ConflictError):
        campaign_update(actor=teacher, campaign=campaign, title="Autre")


def test_picture_upload_and_removal(teacher, campaign, django_capture_on_commit_callbacks):
    image = campaign_image_add(actor=teacher, campaign=campaign, upload=jpeg_upload(), alt_text="La classe au bord de l'eau", consent_confirmed=True)
    assert image.large.name.endswith(".jpg") and image.thumbnail.name.endswith("_vignette.jpg")
    assert image.large.storage.exists(image.large.name)
    large_name = image.large.name
    with django_capture_on_commit_callbacks(execute=True):
        campaign_image_remove(actor=teacher, image=image)
    assert not CampaignImage.objects.exists()
    assert not image.large.storage.exists(large_name)


def test_picture_needs_consent_and_a_description(teacher, campaign):
    with pytest.raises(ApplicationError) as error:
        campaign_image_add(actor=teacher, campaign=campaign, upload=jpeg_upload(), alt_text="", consent_confirmed=False)
    assert set(error.value.field_errors) == {"alt_text", "consent_confirmed"}
    assert not CampaignImage.objects.exists()


def test_picture_on_a_live_campaign_waits_for_review_unpublished(teacher, cooperative):
    from trousse.campaigns.selectors import campaign_list_public, campaign_page_public

    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE)
    image = campaign_image_add(actor=teacher, campaign=campaign, upload=jpeg_upload(), alt_text="Le phare", consent_confirmed=True)
    assert campaign.status == Status.LIVE and not image.published
    assert CampaignRevision.objects.get(campaign=campaign).state == RevisionState.PENDING
    # Neither the page nor the list's cover shows it before the animator approves.
    assert campaign_page_public(campaign_id=campaign.pk).pictures == []
    assert campaign_list_public().get(pk=campaign.pk).cover_images == []
    CampaignImage.objects.filter(pk=image.pk).update(published=True)
    assert [picture.alt_text for picture in campaign_page_public(campaign_id=campaign.pk).pictures] == ["Le phare"]
    assert campaign_list_public().get(pk=campaign.pk).cover_images == [image]


def test_picture_of_someone_else_is_refused(campaign, cooperative):
    with pytest.raises(ApplicationError) as error:
        campaign_image_add(actor=factories.teacher_of(cooperative), campaign=campaign, upload=jpeg_upload(), alt_text="x", consent_confirmed=True)
    assert error.value.status_code == 403


def test_news_only_on_public_campaigns_by_their_teacher(teacher, cooperative, campaign):
    with pytest.raises(ConflictError):
        campaign_news_post(actor=teacher, campaign=campaign, title="Départ", body="Demain")
    live = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE)
    news = campaign_news_post(actor=teacher, campaign=live, title="Départ", body="Nous partons **demain** <script>x</script>")
    assert news.body_html.startswith("<p>Nous partons <strong>demain</strong>")
    assert "<script" not in news.body_html
    with pytest.raises(ApplicationError) as error:
        campaign_news_post(actor=factories.mandataire_of(cooperative), campaign=live, title="x", body="y")
    assert error.value.status_code == 403


def test_services_module_does_not_import_payments():
    # Imports flow one way (STYLE.md): campaigns reaches payments only by task name.
    import ast

    tree = ast.parse(open(services.__file__).read())
    imported = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not [name for name in imported if name.startswith("trousse.payments") or name.startswith("trousse.ledger")]


def test_admin_actions_go_through_the_services(client, cooperative, teacher):
    admin_user = factories.federation_admin(is_staff=True, is_superuser=True)
    submitted = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUBMITTED)
    client.force_login(admin_user)
    response = client.post("/admin/campaigns/campaign/", {"action": "approve", "_selected_action": [submitted.pk]})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Status.APPROVED
    assert CampaignTransition.objects.get().actor == admin_user
    assert client.get(f"/admin/campaigns/campaign/{submitted.pk}/change/").status_code == 200
