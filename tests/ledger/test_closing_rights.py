"""Who is offered "close the campaign": exactly those campaign_transition lets move funded -> closed."""

import pytest
from django.db import transaction
from django.urls import reverse
from rest_framework.test import APIClient

from tests import factories
from trousse.campaigns.models import Status
from trousse.campaigns.services import campaign_transition
from trousse.exceptions import ApplicationError
from trousse.ledger import selectors, services

ROLES = ["teacher", "other_teacher", "mandataire", "animator", "treasurer", "other_treasurer", "federation_admin"]


@pytest.fixture
def people(cooperative, other_ad, teacher, mandataire, animator, treasurer):
    return {
        "teacher": teacher,  # the campaign's own teacher
        "other_teacher": factories.teacher_of(cooperative),  # a teacher of the same cooperative, not the campaign's
        "mandataire": mandataire,
        "animator": animator,
        "treasurer": treasurer,
        "other_treasurer": factories.treasurer_of(other_ad),
        "federation_admin": factories.federation_admin(),
    }


@pytest.fixture
def closable_campaign(funded_campaign, mandataire, teacher):
    """Funded, every euro accounted for (given back to the AD), report published: nothing blocks the closing."""
    services.campaign_refund_to_ad(actor=mandataire, campaign=funded_campaign, amount_cents=110_000, reason="Sortie annulée, tout est rendu")
    services.final_report_save(actor=teacher, campaign=funded_campaign, body="Bilan", publish=True)
    funded_campaign.refresh_from_db()
    assert funded_campaign.status == Status.FUNDED
    assert services.campaign_closing_blockers(campaign=funded_campaign) == []
    return funded_campaign


def _transition_accepts(user, campaign) -> bool:
    """Whether campaign_transition itself would move it funded -> closed for this actor (rolled back either way)."""

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            campaign_transition(campaign=campaign, to_status=Status.CLOSED, actor=user)
            raise Rollback
    except Rollback:
        return True
    except ApplicationError as error:
        assert error.status_code == 403
        return False
    finally:
        campaign.refresh_from_db()


@pytest.mark.parametrize("role", ROLES)
def test_close_is_offered_exactly_to_those_the_transition_accepts(role, people, closable_campaign):
    user = people[role]
    assert selectors.can_close_campaign(user, closable_campaign) == _transition_accepts(user, closable_campaign)
    assert closable_campaign.status == Status.FUNDED


def test_another_teacher_of_the_cooperative_is_not_offered_the_closing(client, people, closable_campaign):
    other_teacher = people["other_teacher"]
    assert not selectors.can_close_campaign(other_teacher, closable_campaign)
    close_action = reverse("books_close", kwargs={"slug": closable_campaign.slug})

    client.force_login(other_teacher)
    page = client.get(reverse("books_campaign", kwargs={"slug": closable_campaign.slug}))
    assert page.status_code == 200 and close_action not in page.content.decode()
    api = APIClient()
    api.force_authenticate(other_teacher)
    assert api.post(f"/api/v1/books/campaigns/{closable_campaign.slug}/close/").status_code == 403

    client.force_login(people["teacher"])
    page = client.get(reverse("books_campaign", kwargs={"slug": closable_campaign.slug}))
    assert close_action in page.content.decode()
    api.force_authenticate(people["teacher"])
    response = api.post(f"/api/v1/books/campaigns/{closable_campaign.slug}/close/")
    assert response.status_code == 200 and response.json() == {"slug": closable_campaign.slug, "status": Status.CLOSED}


def test_a_colleague_cannot_write_or_publish_anothers_final_report(client, funded_campaign, cooperative, teacher):
    colleague = factories.teacher_of(cooperative)
    client.force_login(colleague)
    response = client.post(reverse("books_final_report", kwargs={"slug": funded_campaign.slug}), {"body": "Pas mon projet", "publish": "on"})
    assert response.status_code == 404  # the view hides the report editor from whoever may not write it
    from trousse.ledger.models import FinalReport

    assert not FinalReport.objects.filter(campaign=funded_campaign).exists()
    client.force_login(teacher)
    response = client.post(reverse("books_final_report", kwargs={"slug": funded_campaign.slug}), {"body": "Notre bilan", "publish": "on"})
    assert response.status_code == 302
