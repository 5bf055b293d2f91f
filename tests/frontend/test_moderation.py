import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from trousse.campaigns.models import Status
from trousse.campaigns import services as campaign_services
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(campaign, teacher):
    return campaign_services.campaign_submit(actor=teacher, campaign=campaign)


def test_queue_lists_the_ads_submitted_campaigns_oldest_first(client, animator, cooperative, submitted, other_cooperative):
    newer = factories.CampaignFactory(cooperative=cooperative, status=Status.SUBMITTED, submitted_at=timezone.now(), title="Plus récent")
    factories.CampaignFactory(cooperative=other_cooperative, status=Status.SUBMITTED, submitted_at=timezone.now(), title="Projet du Vaucluse")
    client.force_login(animator)

    content = client.get(reverse("review_queue")).content.decode()

    assert content.index(submitted.title.replace("'", "&#x27;")) < content.index(newer.title)
    assert "Projet du Vaucluse" not in content


def test_queue_is_for_animators_only(client, teacher, treasurer):
    for user in (teacher, treasurer):
        client.force_login(user)
        assert client.get(reverse("review_queue")).status_code == 403


def test_review_page_for_the_right_animator_only(client, submitted, animator, other_animator, teacher):
    url = reverse("review_detail", args=[submitted.slug])
    client.force_login(animator)
    page = client.get(url)
    assert page.status_code == 200 and "Demander des modifications" in page.content.decode()

    client.force_login(other_animator)
    assert client.get(url).status_code == 404  # a draft of another AD: it does not exist for them
    client.force_login(teacher)
    assert client.get(url).status_code == 403  # knows the campaign, may not review it


def test_animator_requests_changes_with_comments_per_field(client, submitted, animator, teacher):
    client.force_login(animator)
    response = client.post(reverse("review_request_changes", args=[submitted.slug]), {"field_title": "Trop long.", "field_budget_lines": "Détaillez le transport."})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Status.DRAFT

    client.force_login(teacher)
    page = client.get(reverse("campaign_manage", args=[submitted.slug])).content.decode()
    assert "Trop long." in page and "Détaillez le transport." in page
    edit = client.get(reverse("campaign_edit", args=[submitted.slug])).content.decode()
    assert "Trop long." in edit and "Détaillez le transport." in edit


def test_request_changes_needs_at_least_one_remark(client, submitted, animator):
    client.force_login(animator)
    response = client.post(reverse("review_request_changes", args=[submitted.slug]), {})
    assert response.status_code == 400 and "au moins une remarque" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_animator_approves_and_the_audit_trail_shows_it(client, submitted, animator):
    client.force_login(animator)
    assert client.post(reverse("review_approve", args=[submitted.slug]), {"comment": "Bravo."}).status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Status.APPROVED
    page = client.get(reverse("review_detail", args=[submitted.slug])).content.decode()
    assert "Bravo." in page and "Historique" in page
    assert "Valider</button>" not in page  # nothing left to decide


def test_animator_rejects_with_a_reason(client, submitted, animator):
    client.force_login(animator)
    assert client.post(reverse("review_reject", args=[submitted.slug]), {"reason": ""}).status_code == 400
    assert client.post(reverse("review_reject", args=[submitted.slug]), {"reason": "Hors du champ de La Trousse."}).status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Status.REJECTED


def test_a_decision_on_a_campaign_no_longer_submitted_is_refused_with_a_message(client, submitted, animator):
    client.force_login(animator)
    client.post(reverse("review_approve", args=[submitted.slug]))
    response = client.post(reverse("review_reject", args=[submitted.slug]), {"reason": "Trop tard."})
    assert response.status_code in (400, 409)
    submitted.refresh_from_db()
    assert submitted.status == Status.APPROVED


def test_review_page_shows_the_diff_after_an_edit_of_an_approved_campaign(client, submitted, animator, teacher):
    from trousse.moderation import services as moderation_services

    moderation_services.review_approve(actor=animator, campaign=submitted)
    campaign_services.campaign_update(actor=teacher, campaign=submitted, title="Classe de mer, nouveau titre")
    client.force_login(animator)
    page = client.get(reverse("review_detail", args=[submitted.slug])).content.decode()
    assert "Modifications depuis la dernière validation" in page
    assert "<ins>Classe de mer, nouveau titre</ins>" in page


def test_the_review_names_fields_as_the_teachers_form_does(client, submitted, animator):
    client.force_login(animator)
    page = client.get(reverse("review_detail", args=[submitted.slug])).content.decode()
    assert "Remarque sur : présentation" in page and "Remarque sur : photos" in page
    assert "(Markdown)" not in page and "Remarque sur : images" not in page


def test_the_queue_flags_a_live_campaign_held_by_its_review_and_a_passed_deadline(client, animator, cooperative, teacher):
    from django.utils import timezone

    held = factories.CampaignFactory(
        cooperative=cooperative, teacher=teacher, status=Status.SUBMITTED, submitted_at=timezone.now(), raised_cents=45_000, title="Une collecte suspendue"
    )
    fresh = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUBMITTED, submitted_at=timezone.now(), title="Un projet neuf")
    client.force_login(animator)
    page = client.get(reverse("review_queue")).content.decode()
    rows = {title: page[page.index(title):][:700] for title in (held.title, fresh.title)}
    assert "collecte suspendue, 450\u00a0€ déjà donnés" in rows[held.title]
    assert "déjà donnés" not in rows[fresh.title] and "date de fin passée" not in rows[fresh.title]

    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    type(held).objects.filter(pk=held.pk).update(start_date=yesterday - datetime.timedelta(days=30), deadline=yesterday)
    page = client.get(reverse("review_queue")).content.decode()
    assert "date de fin passée" in page[page.index(held.title):][:900]


# --- The change of a live campaign: reviewed while the campaign stays online ---


@pytest.fixture
def live_with_change(cooperative, teacher):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE, raised_cents=45_000, title="Une collecte en ligne")
    campaign_services.campaign_update(actor=teacher, campaign=campaign, summary="Un résumé corrigé par la classe.")
    return campaign


def test_the_queue_labels_a_change_to_a_campaign_that_stays_online_in_constant_queries(client, animator, cooperative, teacher, live_with_change, django_assert_max_num_queries):
    client.force_login(animator)
    page = client.get(reverse("review_queue")).content.decode()
    row = page[page.index(live_with_change.title):][:900]
    assert "modification d'un projet en collecte, qui reste en ligne" in row and "collecte suspendue" not in row
    with django_assert_max_num_queries(8) as captured:
        client.get(reverse("review_queue"))
    baseline = len(captured)
    for n in range(4):
        campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE)
        campaign_services.campaign_update(actor=teacher, campaign=campaign, summary=f"Résumé corrigé n° {n}.")
        factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUBMITTED, submitted_at=timezone.now())
    with django_assert_max_num_queries(baseline):
        page = client.get(reverse("review_queue")).content.decode()
    assert page.count("qui reste en ligne") == 5


def test_the_animator_approves_a_change_and_it_is_published(client, animator, live_with_change):
    client.force_login(animator)
    url = reverse("review_detail", args=[live_with_change.slug])
    page = client.get(url).content.decode()
    assert "sa page reste en ligne et la collecte continue" in page
    assert "<ins>Un résumé corrigé par la classe.</ins>" in page
    assert 'name="revision_version" value="1"' in page
    response = client.post(reverse("review_approve", args=[live_with_change.slug]), {"revision_version": "1"}, follow=True)
    assert "Modification validée" in response.content.decode()
    live_with_change.refresh_from_db()
    assert (live_with_change.status, live_with_change.summary) == (Status.LIVE, "Un résumé corrigé par la classe.")
    assert "Un résumé corrigé par la classe." in client.get(reverse("campaign_detail", args=[live_with_change.slug])).content.decode()


def test_a_change_edited_after_the_animator_opened_it_is_not_applied_unseen(client, animator, teacher, live_with_change):
    client.force_login(animator)
    campaign_services.campaign_update(actor=teacher, campaign=live_with_change, title="Un titre lu par personne")
    response = client.post(reverse("review_approve", args=[live_with_change.slug]), {"revision_version": "1"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "relisez-la avant de décider" in page
    # The page now shows version 2, and offers the decision on it.
    assert "<ins>Un titre lu par personne</ins>" in page and 'name="revision_version" value="2"' in page
    live_with_change.refresh_from_db()
    assert live_with_change.title == "Une collecte en ligne"


def test_the_animator_rejects_a_change_and_the_page_stays_as_approved(client, animator, live_with_change):
    client.force_login(animator)
    response = client.post(reverse("review_reject", args=[live_with_change.slug]), {"reason": "Le nom d'un élève apparaît.", "revision_version": "1"}, follow=True)
    assert "la page du projet reste telle qu" in response.content.decode()
    live_with_change.refresh_from_db()
    assert live_with_change.status == Status.LIVE and live_with_change.summary != "Un résumé corrigé par la classe."
    assert client.get(reverse("review_detail", args=[live_with_change.slug])).content.decode().count("Refuser la modification") == 0
