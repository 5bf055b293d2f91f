"""Who sees a campaign's donors and exports them: teacher, mandataire, AD; anyone else gets a 404."""

import csv
import io

import pytest
from django.urls import reverse

from tests import factories
from trousse.payments.models import DonationStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def donations(live_campaign):
    return [
        factories.DonationFactory(campaign=live_campaign, status=DonationStatus.SUCCEEDED, amount_cents=4321, first_name="Alice", last_name="Visible", public_message="Bravo"),
        factories.DonationFactory(campaign=live_campaign, status=DonationStatus.SUCCEEDED, amount_cents=9876, first_name="Bruno", last_name="Discret", is_anonymous=True, public_message="=HYPERLINK(\"x\")"),
    ]


def _get(client, user, name, campaign):
    if user is not None:
        client.force_login(user)
    return client.get(reverse(name, kwargs={"slug": campaign.slug}))


def test_teacher_sees_donors_but_not_anonymous_amounts(client, teacher, live_campaign, donations):
    page = _get(client, teacher, "campaign_donors", live_campaign)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Alice Visible" in html and "43,21" in html
    assert "98,76" not in html and "montant masqué" in html
    assert donations[0].email not in html
    assert _get(client, teacher, "campaign_donations_csv", live_campaign).status_code == 403


@pytest.mark.parametrize("who", ["mandataire", "treasurer", "animator"])
def test_mandataire_and_ad_see_everything_and_export_csv(client, request, who, live_campaign, donations):
    user = request.getfixturevalue(who)
    html = _get(client, user, "campaign_donors", live_campaign).content.decode()
    assert "98,76" in html and donations[1].email in html
    response = _get(client, user, "campaign_donations_csv", live_campaign)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 3
    amounts = {row[7]: row[2] for row in rows[1:]}
    assert amounts == {"Visible": "43,21", "Discret": "98,76"}
    # A message that looks like a formula stays text in a spreadsheet.
    assert any(row[17].startswith("'=") for row in rows[1:])


@pytest.mark.parametrize("who", ["anonymous", "other_teacher", "other_ad_animator", "other_ad_treasurer"])
def test_anyone_else_gets_404(client, who, live_campaign, other_ad, donations):
    user = {
        "anonymous": None,
        "other_teacher": factories.teacher_of(factories.CooperativeFactory(ad=live_campaign.cooperative.ad)),
        "other_ad_animator": factories.animator_of(other_ad),
        "other_ad_treasurer": factories.treasurer_of(other_ad),
    }[who]
    assert _get(client, user, "campaign_donors", live_campaign).status_code == 404
    assert _get(client, user, "campaign_donations_csv", live_campaign).status_code == 404
    if user is not None:
        assert client.get(f"/api/v1/campaigns/{live_campaign.slug}/donations/").status_code == 404


def test_api_list_hides_anonymous_amounts_from_the_teacher(client, teacher, live_campaign, donations):
    client.force_login(teacher)
    rows = client.get(f"/api/v1/campaigns/{live_campaign.slug}/donations/").json()["results"]
    by_name = {row["donor_name"]: row for row in rows}
    assert by_name["Alice Visible"]["amount_cents"] == 4321
    assert by_name["Bruno Discret"]["amount_cents"] is None and by_name["Bruno Discret"]["email"] is None


def test_public_messages_hide_anonymous_names(client, live_campaign, donations):
    html = client.get(reverse("donation_page", kwargs={"slug": live_campaign.slug})).content.decode()
    assert "Bravo" in html and "Alice Visible" in html
    assert "Bruno" not in html and "Un donateur anonyme" in html
