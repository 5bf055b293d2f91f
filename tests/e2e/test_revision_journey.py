"""A teacher corrects the summary of a live campaign: the public page keeps the approved text, and
keeps collecting, until the animator approves the change from the queue; then it shows the new one."""

import pytest
from django.utils import timezone

from tests import factories
from trousse.accounts.models import Cooperative
from trousse.campaigns.models import Status
from trousse.campaigns.services import campaign_transition
from trousse.moderation.services import review_approve

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "Classe de mer à l'île d'Aix"
OLD_SUMMARY = "Vingt-quatre élèves de CM1 découvrent l'estran et la vie marine."
NEW_SUMMARY = "Vingt-quatre élèves de CM1 découvrent l'estran, le phare et la vie marine."


@pytest.fixture
def live_campaign(journey_people):
    """Approved by its animator and opened through the life cycle, as the scheduler does on its start date."""
    campaign = factories.CampaignFactory(
        cooperative=Cooperative.objects.get(),
        teacher=journey_people["teacher"],
        title=TITLE,
        summary=OLD_SUMMARY,
        status=Status.SUBMITTED,
        submitted_at=timezone.now(),
    )
    review_approve(actor=journey_people["animator"], campaign=campaign)
    return campaign_transition(campaign=campaign, to_status=Status.LIVE)


def test_a_change_to_a_live_campaign_is_public_only_once_the_animator_approves_it(page, live_server, journey_people, live_campaign, log_in, log_out):
    teacher, animator = journey_people["teacher"], journey_people["animator"]
    # A visitor with no account, in a browser of their own.
    visitor = page.context.browser.new_context(base_url=live_server.url, locale="fr-FR")
    public = visitor.new_page()
    public_url = f"/projets/{live_campaign.slug}/"

    try:
        # The teacher corrects the summary through the edit form.
        log_in(teacher.email)
        page.get_by_role("link", name=TITLE, exact=True).click()
        page.get_by_role("link", name="Modifier le projet").click()
        assert page.get_by_text("la page publique garde la version validée et la collecte continue").is_visible()
        page.get_by_label("Résumé").fill(NEW_SUMMARY)
        page.get_by_role("button", name="Enregistrer les modifications").click()
        page.get_by_text("Modifications envoyées en relecture").wait_for()
        # Back on the manage page: the change waits for the animator.
        assert page.get_by_role("heading", name="Une modification attend la relecture de l'animateur·rice").is_visible()

        # The public page still shows the approved summary, and still takes donations.
        public.goto(public_url)
        assert public.get_by_role("heading", name=TITLE, level=1).is_visible()
        assert public.get_by_text(OLD_SUMMARY, exact=True).is_visible()
        assert public.get_by_text(NEW_SUMMARY).count() == 0
        assert public.get_by_role("heading", name="Soutenir ce projet").is_visible()
        assert public.get_by_role("button", name="Donner").is_visible()
        log_out()

        # The animator opens the change from the queue, reads the diff and approves it.
        log_in(animator.email)
        page.get_by_role("link", name="Relectures").first.click()
        page.get_by_role("link", name=TITLE, exact=True).click()
        assert page.get_by_role("heading", name="Modifications depuis la dernière validation").is_visible()
        change = page.get_by_role("row", name="résumé")
        assert change.locator("del").inner_text() == OLD_SUMMARY
        assert change.locator("ins").inner_text() == NEW_SUMMARY
        page.get_by_role("button", name="Valider", exact=True).click()
        page.get_by_text("Modification validée").wait_for()

        # The visitor now reads the new summary; the collection goes on.
        public.goto(public_url)
        assert public.get_by_text(NEW_SUMMARY, exact=True).is_visible()
        assert public.get_by_text(OLD_SUMMARY).count() == 0
        assert public.get_by_role("button", name="Donner").is_visible()
    finally:
        visitor.close()
