import datetime

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from tests import factories
from trousse.campaigns.models import CampaignImage, CampaignUpdate, Status
from trousse.campaigns.selectors import (
    campaign_get_for_actor,
    campaign_list_for_actor,
    campaign_list_public,
    campaign_page_public,
    can_edit_campaign,
    can_review_campaign,
)

pytestmark = pytest.mark.django_db


def _image(campaign, position):
    return CampaignImage.objects.create(campaign=campaign, large=f"campaigns/{campaign.pk}/{position}.jpg", thumbnail="t.jpg", width=800, height=600, alt_text=f"image {position}", position=position)


def test_public_listing_shows_live_campaigns_with_their_cover_in_constant_queries(ad, other_ad):
    for number in range(6):
        cooperative = factories.CooperativeFactory(ad=ad if number % 2 else other_ad, city="Niort" if number == 1 else "Avignon")
        campaign = factories.CampaignFactory(cooperative=cooperative, status=Status.LIVE)
        _image(campaign, 2)
        _image(campaign, 1)
    factories.CampaignFactory(status=Status.DRAFT)
    factories.CampaignFactory(status=Status.SUBMITTED)
    with CaptureQueriesContext(connection) as queries:
        campaigns = list(campaign_list_public())
        covers = [campaign.cover_images[0].alt_text for campaign in campaigns]
        departments = {campaign.cooperative.ad.number for campaign in campaigns}
    assert len(campaigns) == 6
    assert covers == ["image 1"] * 6
    assert departments == {"79", "84"}
    assert len(queries) == 2


def test_public_listing_filters(ad, other_ad):
    niort = factories.CampaignFactory(cooperative=factories.CooperativeFactory(ad=ad, city="Niort"), status=Status.LIVE, theme="sciences", school_level="college")
    factories.CampaignFactory(cooperative=factories.CooperativeFactory(ad=other_ad, city="Avignon"), status=Status.LIVE)
    assert list(campaign_list_public(department="79")) == [niort]
    assert list(campaign_list_public(theme="sciences")) == [niort]
    assert list(campaign_list_public(level="college")) == [niort]
    assert list(campaign_list_public(query="niort")) == [niort]
    assert list(campaign_list_public(query="introuvable")) == []


def test_public_page_reads_what_it_shows_in_one_query(campaign, teacher):
    campaign.status = Status.LIVE
    campaign.save()
    _image(campaign, 2)
    _image(campaign, 1)
    older = CampaignUpdate.objects.create(campaign=campaign, author=teacher, title="Avant", body="x", body_html="<p>x</p>")
    CampaignUpdate.objects.filter(pk=older.pk).update(created_at=older.created_at - datetime.timedelta(days=1))
    CampaignUpdate.objects.create(campaign=campaign, author=teacher, title="Après", body="x", body_html="<p>x</p>")
    older.refresh_from_db()

    with CaptureQueriesContext(connection) as queries:
        page = campaign_page_public(campaign_id=campaign.pk)
        found = page.campaign
        assert (found.title, found.raised_cents, found.deadline) == (campaign.title, campaign.raised_cents, campaign.deadline)
        assert (found.cooperative.school_name, found.cooperative.ad.number) == (campaign.cooperative.school_name, "79")
        assert [picture.alt_text for picture in page.pictures] == ["image 1", "image 2"]
        assert page.cover.large_url == f"/media/campaigns/{campaign.pk}/1.jpg"
        assert [line.label for line in page.budget_lines] == ["Transport en car", "Hébergement"]
        assert page.budget_total_cents == 170_000
        assert [update.title for update in page.news] == ["Après", "Avant"]
        assert page.news[1].created_at == older.created_at  # aware, to the microsecond
        assert page.news[1].body_html == "<p>x</p>"
        assert (str(found.theme_label), str(found.school_level_label), str(found.status_label)) == (
            found.get_theme_display(), found.get_school_level_display(), found.get_status_display()
        )
        assert str(page.budget_lines[1].category_label) == "Hébergement et repas"
    assert len(queries) == 1


def test_public_page_of_a_campaign_without_pictures_lines_or_news(campaign):
    campaign.status = Status.LIVE
    campaign.save()
    campaign.budget_lines.all().delete()
    page = campaign_page_public(campaign_id=campaign.pk)
    assert (page.pictures, page.budget_lines, page.news, page.cover) == ([], [], [], None)


@pytest.mark.parametrize("status", [Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.REJECTED, Status.CANCELLED])
def test_public_page_is_404_before_the_collection_and_once_cancelled(campaign, status):
    campaign.status = status
    campaign.save()
    with pytest.raises(Http404):
        campaign_page_public(campaign_id=campaign.pk)


def test_actor_scope(campaign, teacher, animator, mandataire, treasurer, other_ad):
    other_teacher = factories.teacher_of(factories.CooperativeFactory(ad=other_ad))
    other_animator = factories.animator_of(other_ad)
    for user in (teacher, animator, mandataire, treasurer, factories.federation_admin()):
        assert list(campaign_list_for_actor(actor=user)) == [campaign]
        assert campaign_get_for_actor(actor=user, slug=campaign.slug) == campaign
    for user in (other_teacher, other_animator):
        assert list(campaign_list_for_actor(actor=user)) == []
        with pytest.raises(Http404):
            campaign_get_for_actor(actor=user, slug=campaign.slug)
    # Once public, everyone knows it exists, but it is still not in their own list.
    campaign.status = Status.LIVE
    campaign.save()
    assert campaign_get_for_actor(actor=other_teacher, slug=campaign.slug) == campaign
    assert list(campaign_list_for_actor(actor=other_teacher)) == []


def test_predicates(campaign, teacher, animator, cooperative):
    assert can_edit_campaign(teacher, campaign)
    assert not can_edit_campaign(factories.teacher_of(cooperative), campaign)
    assert not can_edit_campaign(animator, campaign)
    assert not can_review_campaign(animator, campaign)
    campaign.status = Status.SUBMITTED
    assert can_review_campaign(animator, campaign)
    assert not can_review_campaign(teacher, campaign)
