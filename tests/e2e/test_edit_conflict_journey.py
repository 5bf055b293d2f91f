"""A teacher edits their draft in two tabs: the second save does not silently undo the first one."""

import pytest

from tests import factories
from trousse.accounts.models import Cooperative
from trousse.campaigns.models import Campaign, Status

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SUMMARY_FROM_TAB_ONE = "Vingt-quatre élèves découvrent l'estran, le phare et la vie marine."
TITLE_FROM_TAB_TWO = "Classe de mer à l'île d'Aix, printemps"


def test_the_second_tab_is_told_what_changed_and_saves_only_on_purpose(page, live_server, journey_people, log_in):
    campaign = factories.CampaignFactory(cooperative=Cooperative.objects.get(), teacher=journey_people["teacher"], title="Classe de mer", status=Status.DRAFT)
    log_in(journey_people["teacher"].email)
    edit_url = f"/espace/projets/{campaign.slug}/modifier/"
    second_tab = page.context.new_page()
    page.goto(edit_url)
    second_tab.goto(edit_url)

    page.get_by_label("Résumé").fill(SUMMARY_FROM_TAB_ONE)
    page.get_by_role("button", name="Enregistrer les modifications").click()
    page.get_by_text("Modifications enregistrées").wait_for()

    second_tab.get_by_label("Titre").fill(TITLE_FROM_TAB_TWO)
    second_tab.get_by_role("button", name="Enregistrer les modifications").click()
    banner = second_tab.get_by_role("alert").filter(has_text="Ce projet a été modifié entre-temps")
    banner.wait_for()
    # What the first tab saved is shown; what the second tab typed is still in its field.
    assert banner.get_by_text(SUMMARY_FROM_TAB_ONE).is_visible()
    assert second_tab.get_by_label("Titre").input_value() == TITLE_FROM_TAB_TWO
    campaign.refresh_from_db()
    assert (campaign.title, campaign.summary) == ("Classe de mer", SUMMARY_FROM_TAB_ONE)

    # Having read it, the teacher keeps the first tab's summary and saves on purpose.
    second_tab.get_by_label("Résumé").fill(SUMMARY_FROM_TAB_ONE)
    second_tab.get_by_role("button", name="Enregistrer les modifications").click()
    second_tab.get_by_text("Modifications enregistrées").wait_for()
    campaign.refresh_from_db()
    assert (campaign.title, campaign.summary) == (TITLE_FROM_TAB_TWO, SUMMARY_FROM_TAB_ONE)
    assert Campaign.objects.count() == 1
