"""A save made from an older version of a campaign (another tab, the API, a colleague) is refused,
never silently written over the newer change; donations moving the campaign's row are no conflict."""

import threading
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils.html import escape

from tests import factories
from tests.api.conftest import client_for
from tests.campaigns.helpers import donate, live_campaign_through_review
from tests.moderation.test_concurrency import _race
from trousse.campaigns.models import Campaign, CampaignRevision, RevisionState, Status
from trousse.campaigns.selectors import campaign_edited_from
from trousse.campaigns.services import BudgetLineData, campaign_update
from trousse.exceptions import ConflictError

pytestmark = pytest.mark.django_db

CONFLICT = "Ce projet a été modifié entre-temps"


@pytest.fixture
def live_campaign(cooperative, teacher, animator):
    return live_campaign_through_review(cooperative=cooperative, teacher=teacher, animator=animator)


def _open(campaign) -> CampaignRevision:
    return CampaignRevision.objects.get(campaign=campaign, state__in=[RevisionState.PENDING, RevisionState.CHANGES_REQUESTED])


# --- The service ---


def test_a_save_from_an_older_version_of_a_draft_is_refused_and_writes_nothing(teacher, campaign):
    tab_1 = tab_2 = campaign_edited_from(campaign=campaign)
    campaign_update(actor=teacher, campaign=campaign, title="Classe de mer, premier onglet", edited_from=tab_1)

    with pytest.raises(ConflictError) as error:
        campaign_update(actor=teacher, campaign=campaign, summary="Le résumé du second onglet.", edited_from=tab_2)

    assert error.value.status_code == 409 and CONFLICT in error.value.message
    saved = Campaign.objects.get(pk=campaign.pk)
    assert (saved.title, saved.summary) == ("Classe de mer, premier onglet", "Vingt-quatre élèves de CM1 découvrent l'estran et la vie marine.")


def test_a_save_from_the_current_version_is_written(teacher, campaign):
    campaign_update(actor=teacher, campaign=campaign, title="Classe de mer, premier onglet", edited_from=campaign_edited_from(campaign=campaign))
    current = campaign_edited_from(campaign=campaign)

    campaign_update(
        actor=teacher,
        campaign=campaign,
        summary="Le résumé du second onglet.",
        budget_lines=[BudgetLineData("Transport en car", "transport", 70_000), BudgetLineData("Hébergement", "accommodation", 110_000)],
        edited_from=current,
    )

    saved = Campaign.objects.get(pk=campaign.pk)
    assert (saved.title, saved.summary) == ("Classe de mer, premier onglet", "Le résumé du second onglet.")
    assert [line.amount_cents for line in saved.budget_lines.all()] == [70_000, 110_000]


def test_a_stale_save_that_leaves_the_newer_version_as_it_is_loses_nothing_and_is_no_conflict(teacher, campaign):
    stale = campaign_edited_from(campaign=campaign)
    campaign_update(actor=teacher, campaign=campaign, title="Classe de mer, premier onglet")
    # The second tab saves what is saved already (the same correction made twice).
    campaign_update(actor=teacher, campaign=campaign, title="Classe de mer, premier onglet", edited_from=stale)
    assert Campaign.objects.get(pk=campaign.pk).title == "Classe de mer, premier onglet"


def test_a_stale_save_of_a_live_campaign_leaves_its_pending_change_as_it_was(teacher, live_campaign):
    stale = campaign_edited_from(campaign=live_campaign)
    campaign_update(actor=teacher, campaign=live_campaign, summary="Le résumé du premier onglet.", edited_from=stale)

    with pytest.raises(ConflictError):
        campaign_update(actor=teacher, campaign=live_campaign, title="Le titre du second onglet", edited_from=stale)

    revision = _open(live_campaign)
    assert (revision.version, revision.values["summary"], revision.values["title"]) == (1, "Le résumé du premier onglet.", live_campaign.title)
    # The version to start from is now the pending change: saving from it is written.
    campaign_update(actor=teacher, campaign=live_campaign, title="Le titre du second onglet", edited_from=campaign_edited_from(campaign=live_campaign))
    revision = _open(live_campaign)
    assert (revision.version, revision.values["summary"], revision.values["title"]) == (2, "Le résumé du premier onglet.", "Le titre du second onglet")


def test_a_donation_credited_while_the_teacher_edits_a_live_campaign_is_no_conflict(teacher, live_campaign):
    edited_from = campaign_edited_from(campaign=live_campaign)
    before = Campaign.objects.get(pk=live_campaign.pk)

    donate(live_campaign, 2_000)

    assert Campaign.objects.get(pk=live_campaign.pk).raised_cents == before.raised_cents + 2_000
    campaign_update(actor=teacher, campaign=live_campaign, summary="Un résumé corrigé pendant la collecte.", edited_from=edited_from)
    assert _open(live_campaign).values["summary"] == "Un résumé corrigé pendant la collecte."


# --- The edit page: two tabs ---


class _EditForm(HTMLParser):
    """What a browser posts from the page's edit form: its fields (not those of the <template> rows), as filled in."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.data: dict[str, str] = {}
        self.in_form = self.in_template = False
        self.textarea: str | None = None
        self.select: str | None = None
        self.first_option: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value if value is not None else "" for name, value in attrs}
        if tag == "form" and attrs.get("method") == "post" and "novalidate" in attrs:
            self.in_form = True
        if tag == "template":
            self.in_template = True
        if not self.in_form or self.in_template or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name and (attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs):
            self.data[name] = attrs.get("value", "")
        elif tag == "textarea" and name:
            self.textarea, self.data[name] = name, ""
        elif tag == "select" and name:
            self.select, self.first_option = name, None
        elif tag == "option" and self.select:
            if self.first_option is None:
                self.first_option = attrs.get("value", "")
            if "selected" in attrs:
                self.data[self.select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "template":
            self.in_template = False
        elif tag == "textarea" and self.textarea:
            # Browsers drop the line break that follows <textarea>.
            self.data[self.textarea] = self.data[self.textarea].removeprefix("\n")
            self.textarea = None
        elif tag == "select" and self.select:
            self.data.setdefault(self.select, self.first_option or "")
            self.select = None

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea] += data


def _form(response) -> dict[str, str]:
    parser = _EditForm()
    parser.feed(response.content.decode())
    assert "title" in parser.data and "budget-TOTAL_FORMS" in parser.data
    return parser.data


def _tabs(client, url, count=2) -> list[dict[str, str]]:
    pages = [client.get(url) for _ in range(count)]
    assert [page.status_code for page in pages] == [200] * count
    return [_form(page) for page in pages]


def test_the_older_tab_of_a_draft_gets_a_conflict_page_that_keeps_what_was_typed(client, teacher, campaign):
    client.force_login(teacher)
    url = reverse("campaign_edit", args=[campaign.slug])
    tab_1, tab_2 = _tabs(client, url)
    assert tab_1["edited_from"]

    assert client.post(url, {**tab_1, "title": "Classe de mer, premier onglet"}).status_code == 302
    response = client.post(url, {**tab_2, "title": "Classe de mer, second onglet", "summary": "Le résumé du second onglet."})

    assert response.status_code == 409
    page = response.content.decode()
    assert escape(CONFLICT) in page
    # What the teacher typed stays in the fields; the banner shows the title saved meanwhile.
    assert _form(response)["title"] == "Classe de mer, second onglet" and _form(response)["summary"] == "Le résumé du second onglet."
    banner = page[page.index(escape(CONFLICT)):page.index("<form method=\"post\" novalidate>")]
    assert "Classe de mer, premier onglet" in banner
    assert Campaign.objects.get(pk=campaign.pk).title == "Classe de mer, premier onglet"

    # Read, then saved again from the conflict page: the teacher's version is applied, deliberately.
    assert client.post(url, _form(response)).status_code == 302
    saved = Campaign.objects.get(pk=campaign.pk)
    assert (saved.title, saved.summary) == ("Classe de mer, second onglet", "Le résumé du second onglet.")


def test_a_page_sent_back_with_errors_still_guards_the_version_it_started_from(client, teacher, campaign):
    client.force_login(teacher)
    url = reverse("campaign_edit", args=[campaign.slug])
    tab_1, tab_2 = _tabs(client, url)
    assert client.post(url, {**tab_1, "title": "Classe de mer, premier onglet"}).status_code == 302

    errors = client.post(url, {**tab_2, "title": ""})
    assert errors.status_code == 400
    response = client.post(url, {**_form(errors), "title": "Classe de mer, second onglet"})

    assert response.status_code == 409
    assert Campaign.objects.get(pk=campaign.pk).title == "Classe de mer, premier onglet"


def test_a_budget_line_added_in_the_other_tab_gives_the_conflict_not_errors_on_blank_rows(client, teacher, campaign):
    client.force_login(teacher)
    url = reverse("campaign_edit", args=[campaign.slug])
    tab_1, tab_2 = _tabs(client, url)
    assert tab_1["budget-INITIAL_FORMS"] == "2" and tab_1["budget-2-label"] == ""
    added = {"budget-2-label": "Location de matériel de pêche", "budget-2-category": "equipment", "budget-2-amount": "150"}
    assert client.post(url, {**tab_1, **added}).status_code == 302

    response = client.post(url, {**tab_2, "title": "Classe de mer, second onglet"})

    assert response.status_code == 409
    assert "Location de matériel de pêche" in response.content.decode()  # the saved budget, in the banner
    assert Campaign.objects.get(pk=campaign.pk).budget_lines.count() == 3


def test_the_older_tab_of_a_live_campaign_does_not_overwrite_its_pending_change(client, teacher, live_campaign):
    client.force_login(teacher)
    url = reverse("campaign_edit", args=[live_campaign.slug])
    public_title = live_campaign.title
    tab_1, tab_2 = _tabs(client, url)

    assert client.post(url, {**tab_1, "summary": "Le résumé du premier onglet."}).status_code == 302
    response = client.post(url, {**tab_2, "title": "Le titre du second onglet"})

    assert response.status_code == 409
    page = response.content.decode()
    assert escape(CONFLICT) in page and _form(response)["title"] == "Le titre du second onglet"
    revision = _open(live_campaign)
    assert (revision.version, revision.values["title"], revision.values["summary"]) == (1, public_title, "Le résumé du premier onglet.")

    assert client.post(url, _form(response)).status_code == 302
    revision = _open(live_campaign)
    assert (revision.version, revision.values["title"]) == (2, "Le titre du second onglet")
    live_campaign.refresh_from_db()
    assert (live_campaign.status, live_campaign.title) == (Status.LIVE, public_title)


# --- The API ---


def test_the_api_refuses_a_patch_from_an_older_version_and_accepts_one_without(teacher, campaign):
    client = client_for(teacher)
    detail = client.get(f"/api/v1/campaigns/{campaign.slug}/").data
    stale = detail["edited_from"]
    assert stale == campaign_edited_from(campaign=campaign)
    # Nobody else is given it.
    assert client_for(None).get(f"/api/v1/campaigns/{campaign.slug}/").status_code == 404
    assert client_for(factories.mandataire_of(campaign.cooperative)).get(f"/api/v1/campaigns/{campaign.slug}/").data["edited_from"] is None

    response = client.patch(f"/api/v1/campaigns/{campaign.slug}/update/", {"title": "Classe de mer, premier client", "edited_from": stale}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["edited_from"] != stale

    response = client.patch(f"/api/v1/campaigns/{campaign.slug}/update/", {"summary": "Le résumé du second client.", "edited_from": stale}, format="json")
    assert response.status_code == 409 and CONFLICT in response.data["detail"] and "edited_from" in response.data["fields"]
    assert Campaign.objects.get(pk=campaign.pk).summary == campaign.summary

    # Without it, as before: written.
    response = client.patch(f"/api/v1/campaigns/{campaign.slug}/update/", {"summary": "Le résumé du second client."}, format="json")
    assert response.status_code == 200
    assert Campaign.objects.get(pk=campaign.pk).summary == "Le résumé du second client."


def test_the_api_guards_the_pending_change_of_a_live_campaign(teacher, live_campaign):
    client = client_for(teacher)
    url = f"/api/v1/campaigns/{live_campaign.slug}/update/"
    stale = client.get(f"/api/v1/campaigns/{live_campaign.slug}/").data["edited_from"]

    accepted = client.patch(url, {"summary": "Le résumé du premier client.", "edited_from": stale}, format="json")
    assert accepted.status_code == 202, accepted.data
    assert accepted.data["edited_from"] == client.get(f"/api/v1/campaigns/{live_campaign.slug}/").data["edited_from"] != stale
    # The public sees the approved version and no fingerprint of the pending one.
    assert client_for(None).get(f"/api/v1/campaigns/{live_campaign.slug}/").data["edited_from"] is None

    assert client.patch(url, {"title": "Le titre du second client", "edited_from": stale}, format="json").status_code == 409
    assert _open(live_campaign).version == 1
    response = client.patch(url, {"title": "Le titre du second client", "edited_from": accepted.data["edited_from"]}, format="json")
    assert response.status_code == 202 and (response.data["version"], response.data["title"]) == (2, "Le titre du second client")


# --- Two saves from one version at the same moment (row lock: PostgreSQL) ---


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_saves_from_one_version_at_the_same_moment_write_one_and_refuse_the_other(cooperative, teacher):
    campaign = factories.CampaignFactory(cooperative=cooperative, teacher=teacher)
    edited_from = campaign_edited_from(campaign=campaign)
    titles = iter(["Le titre de l'onglet un", "Le titre de l'onglet deux"])
    lock = threading.Lock()

    def save():
        with lock:
            title = next(titles)
        return campaign_update(actor=teacher, campaign=Campaign.objects.get(pk=campaign.pk), title=title, edited_from=edited_from)

    results, errors = _race(save)
    assert len(results) == 1 and [error.status_code for error in errors] == [409]
    assert Campaign.objects.get(pk=campaign.pk).title == results[0].title
