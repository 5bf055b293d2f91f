import datetime
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from trousse.campaigns.cache import public_cache_bump
from trousse.campaigns.models import CampaignImage, SchoolLevel, Status, Theme
from trousse.campaigns.services import campaign_cancel
from trousse.payments.models import DonationStatus
from trousse.payments.services import donation_transition
from tests import factories

from .conftest import add_images

pytestmark = pytest.mark.django_db


def test_home_lists_live_campaigns_only(client, cooperative):
    factories.CampaignFactory(cooperative=cooperative, status=Status.LIVE, title="Potager de l'école")
    factories.CampaignFactory(cooperative=cooperative, status=Status.DRAFT, title="Brouillon secret")
    factories.CampaignFactory(cooperative=cooperative, status=Status.SUBMITTED, title="En relecture")

    response = client.get(reverse("home"))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Potager de l&#x27;école" in content
    assert "Brouillon secret" not in content
    assert "En relecture" not in content


def test_home_filters_by_department_theme_level_and_text(client, cooperative, other_cooperative):
    factories.CampaignFactory(cooperative=cooperative, status=Status.LIVE, title="Classe de mer", theme=Theme.SCHOOL_TRIP)
    factories.CampaignFactory(cooperative=other_cooperative, status=Status.LIVE, title="Chorale d'Avignon", theme=Theme.ARTS_CULTURE, school_level=SchoolLevel.MATERNELLE)

    def titles(**params):
        return client.get(reverse("home"), params).content.decode()

    assert "Chorale" not in titles(departement="79") and "Classe de mer" in titles(departement="79")
    assert "Classe de mer" not in titles(theme=Theme.ARTS_CULTURE) and "Chorale" in titles(theme=Theme.ARTS_CULTURE)
    assert "Classe de mer" not in titles(level=SchoolLevel.MATERNELLE)
    assert "Chorale" in titles(q="chorale") and "Classe de mer" not in titles(q="chorale")


def test_home_ignores_a_bad_filter_value(client, cooperative):
    factories.CampaignFactory(cooperative=cooperative, status=Status.LIVE, title="Classe de mer")
    response = client.get(reverse("home"), {"theme": "n'importe quoi", "page": "zzz"})
    assert response.status_code == 200
    assert "Classe de mer" in response.content.decode()


def test_home_paginates(client, cooperative):
    for n in range(14):
        factories.CampaignFactory(cooperative=cooperative, status=Status.LIVE, title=f"Projet numéro {n:02d}", deadline=timezone.localdate() + datetime.timedelta(days=10 + n))
    first = client.get(reverse("home")).content.decode()
    second = client.get(reverse("home"), {"page": 2}).content.decode()
    assert "Projet numéro 00" in first and "Projet numéro 13" not in first
    assert "Projet numéro 13" in second and "Page 2 sur 2" in second


def test_home_listing_is_cached_until_a_campaign_changes(client, cooperative):
    campaign = factories.CampaignFactory(cooperative=cooperative, status=Status.LIVE, title="Ancien titre")
    assert "Ancien titre" in client.get(reverse("home")).content.decode()

    campaign.title = "Nouveau titre"
    campaign.save()
    assert "Ancien titre" in client.get(reverse("home")).content.decode(), "served from the cache"

    public_cache_bump(campaign.pk)
    assert "Nouveau titre" in client.get(reverse("home")).content.decode()


def test_campaign_page_shows_story_budget_progress_share_links_and_open_graph(client, live_campaign):
    live_campaign.raised_cents = 50_000
    live_campaign.save()

    response = client.get(reverse("campaign_detail", args=[live_campaign.slug]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "<strong>trois jours</strong>" in content  # the sanitised story
    assert "Transport en car" in content and "Hébergement" in content
    assert "500\u00a0€" in content and "50 %" in content  # raised and share of the minimum goal
    assert "jours restants" in content
    assert 'property="og:title" content="Classe de mer à l&#x27;île d&#x27;Aix"' in content
    assert 'property="og:image" content="http://testserver/media/campaigns/' in content
    assert "mailto:?subject=" in content
    assert "https://www.facebook.com/sharer/sharer.php?u=http%3A%2F%2Ftestserver%2Fprojets%2Fclasse-de-mer%2F" in content
    assert "https://wa.me/?text=" in content and "https://x.com/intent/post?url=" in content
    assert "<script src=\"https://" not in content  # no third-party script for sharing


def test_campaign_page_shows_a_donation_on_the_first_visit_after_it_succeeds(client, live_campaign, django_capture_on_commit_callbacks):
    url = reverse("campaign_detail", args=[live_campaign.slug])
    assert "0\u00a0€" in client.get(url).content.decode()
    donation = factories.DonationFactory(campaign=live_campaign, amount_cents=7_500, wants_tax_receipt=False)

    with django_capture_on_commit_callbacks(execute=True):
        donation_transition(donation_id=donation.pk, to_status=DonationStatus.SUCCEEDED, source="webhook")

    content = client.get(url).content.decode()
    # Gifts are counted, not people: the page says so.
    assert "75\u00a0€" in content and re.search(r"\b1 don\s+·", content) and "donateur·rice" not in content


def test_campaign_page_is_404_as_soon_as_the_campaign_is_cancelled(client, live_campaign, teacher, django_capture_on_commit_callbacks):
    url = reverse("campaign_detail", args=[live_campaign.slug])
    assert client.get(url).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        campaign_cancel(actor=teacher, campaign=live_campaign, reason="Sortie annulée par la mairie")

    assert client.get(url).status_code == 404


def test_campaign_page_is_404_unless_public(client, campaign):
    assert client.get(reverse("campaign_detail", args=[campaign.slug])).status_code == 404
    assert client.get(reverse("campaign_detail", args=["nexiste-pas"])).status_code == 404


def test_finished_campaign_stays_visible_without_days_left(client, cooperative):
    campaign = factories.CampaignFactory(cooperative=cooperative, status=Status.SUCCEEDED, minimum_goal_cents=180_000, optimum_goal_cents=360_000, raised_cents=230_000)
    content = html.unescape(client.get(reverse("campaign_detail", args=[campaign.slug])).content.decode())
    assert "Collecte réussie : l'objectif minimum est atteint." in content and "jours restants" not in content
    # The sentence says how far past the minimum it went; the bar stops at its end.
    assert "127 %</strong> de l'objectif minimum" in content and 'aria-valuenow="100"' in content
    # A promise about the future of a collection that is over would mislead.
    assert "Si l'objectif minimum n'est pas atteint" not in content


def test_a_failed_campaign_says_its_donors_are_refunded(client, cooperative):
    campaign = factories.CampaignFactory(cooperative=cooperative, status=Status.FAILED)
    content = html.unescape(client.get(reverse("campaign_detail", args=[campaign.slug])).content.decode())
    assert "Collecte terminée sans atteindre l'objectif minimum : chaque donateur est remboursé." in content


def test_pages_are_in_english_after_switching_language(client, live_campaign):
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
    assert response.status_code == 302

    content = client.get(reverse("home")).content.decode()
    assert 'lang="en"' in content
    assert "Class projects to support" in content
    assert "Skip to content" in content


def test_base_layout_is_accessible(client):
    content = client.get(reverse("home")).content.decode()
    assert 'class="skip-link" href="#contenu"' in content and 'id="contenu"' in content
    assert '<label class="visually-hidden" for="language-select">' in content
    assert 'aria-label="Navigation principale"' in content
    assert "<h1>" in content


def test_donor_messages_are_escaped_and_keep_their_line_breaks(client, live_campaign):
    factories.DonationFactory(
        campaign=live_campaign, status=DonationStatus.SUCCEEDED, succeeded_at=timezone.now(), first_name="Léa", last_name="Martin",
        public_message="<script>alert('x')</script>\nBravo la classe !",
    )
    factories.DonationFactory(campaign=live_campaign, status=DonationStatus.SUCCEEDED, succeeded_at=timezone.now(), is_anonymous=True, public_message="Courage")

    content = client.get(reverse("campaign_detail", args=[live_campaign.slug])).content.decode()

    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;<br>Bravo la classe !" in content and "<script>alert" not in content
    assert "<cite>Léa Martin</cite>" in content and "<cite>Un donateur anonyme</cite>" in content


def test_the_page_shows_the_fifty_newest_messages_of_money_that_reached_the_campaign(client, live_campaign):
    start = timezone.now() - datetime.timedelta(days=1)
    for n in range(52):
        factories.DonationFactory(
            campaign=live_campaign, status=DonationStatus.SUCCEEDED, succeeded_at=start + datetime.timedelta(minutes=n), public_message=f"Message {n:02d}"
        )
    factories.DonationFactory(campaign=live_campaign, status=DonationStatus.PENDING, public_message="Pas encore payé")
    factories.DonationFactory(campaign=live_campaign, status=DonationStatus.SUCCEEDED, succeeded_at=timezone.now(), public_message="")

    content = client.get(reverse("campaign_detail", args=[live_campaign.slug])).content.decode()

    shown = re.findall(r"<blockquote>(Message \d+)</blockquote>", content)
    assert shown == [f"Message {n:02d}" for n in range(51, 1, -1)]
    assert "Pas encore payé" not in content


def test_business_donors_and_every_kind_of_line_break_are_escaped(client, live_campaign):
    factories.DonationFactory(
        campaign=live_campaign, status=DonationStatus.SUCCEEDED, succeeded_at=timezone.now(), donor_type="business",
        company_name="Boulangerie <Dupont> & fils", public_message="Un\r\ndeux\rtrois & \"quatre\"",
    )

    content = client.get(reverse("campaign_detail", args=[live_campaign.slug])).content.decode()

    assert "<blockquote>Un<br>deux<br>trois &amp; &quot;quatre&quot;</blockquote> <cite>Boulangerie &lt;Dupont&gt; &amp; fils</cite>" in content


def test_campaign_text_is_escaped_everywhere_on_the_page(client, live_campaign, teacher):
    from trousse.campaigns.models import BudgetCategory, BudgetLine, CampaignImage, CampaignUpdate

    live_campaign.title = "Car <b>& bus</b>"
    live_campaign.summary = "Résumé <i>\"cité\"</i>"
    live_campaign.co_funding_description = "Mairie <script>"
    live_campaign.save()
    live_campaign.cooperative.school_name = "École <Les Pins>"
    live_campaign.cooperative.save()
    BudgetLine.objects.create(campaign=live_campaign, label="Ligne <img src=x>", category=BudgetCategory.BOOKS, amount_cents=1_050, position=9)
    CampaignImage.objects.filter(campaign=live_campaign).update(alt_text="Photo <de> \"classe\"")
    CampaignUpdate.objects.create(campaign=live_campaign, author=teacher, title="Nouvelle <u>du jour</u>", body="x", body_html="<p>Sûr</p>")

    content = client.get(reverse("campaign_detail", args=[live_campaign.slug])).content.decode()

    assert "<b>" not in content and "<i>" not in content and "<img src=x>" not in content and "<u>" not in content and "Mairie <script>" not in content
    assert "<title>Car &lt;b&gt;&amp; bus&lt;/b&gt; · La Trousse</title>" in content
    assert "<h1>Car &lt;b&gt;&amp; bus&lt;/b&gt;</h1>" in content
    assert 'content="Résumé &lt;i&gt;&quot;cité&quot;&lt;/i&gt;"' in content
    assert "École &lt;Les Pins&gt;" in content
    assert '<tr><td>Ligne &lt;img src=x&gt;</td><td>Livres et fournitures</td><td class="num">10,50\u00a0€</td></tr>' in content
    assert 'alt="Photo &lt;de&gt; &quot;classe&quot;"' in content
    assert "(Mairie &lt;script&gt;)" in content
    assert "<h3>Nouvelle &lt;u&gt;du jour&lt;/u&gt;</h3>" in content and "<p>Sûr</p>" in content
    # Share links carry the text URL-encoded, never raw.
    assert "subject=Car%20%3Cb%3E%26%20bus%3C%2Fb%3E&amp;body=R%C3%A9sum%C3%A9%20%3Ci%3E%22cit%C3%A9%22%3C%2Fi%3E%0A%0Ahttp%3A%2F%2Ftestserver%2Fprojets%2Fclasse-de-mer%2F" in content


def test_the_english_page_writes_amounts_the_english_way(client, cooperative):
    campaign = factories.CampaignFactory(cooperative=cooperative, status=Status.LIVE, minimum_goal_cents=180_000, optimum_goal_cents=360_000, raised_cents=111_650)
    english = html.unescape(client.get(reverse("campaign_detail", args=[campaign.slug]), HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert "€1,116.50" in english and "€1,800" in english
    assert "1\u202f116,50\u00a0€" not in english
    french = html.unescape(client.get(reverse("campaign_detail", args=[campaign.slug]), HTTP_ACCEPT_LANGUAGE="fr").content.decode())
    assert "1\u202f116,50\u00a0€" in french


def test_a_campaign_ended_early_says_when_it_ended_not_its_planned_deadline(client, cooperative):
    ended = timezone.make_aware(datetime.datetime(2026, 12, 2, 15, 0))
    campaign = factories.CampaignFactory(cooperative=cooperative, status=Status.SUCCEEDED, deadline=datetime.date(2026, 12, 27), ended_at=ended)
    content = html.unescape(client.get(reverse("campaign_detail", args=[campaign.slug])).content.decode())
    assert "terminée le 2 décembre 2026" in content
    assert "fin le 27 décembre 2026" not in content


def test_each_card_of_the_listing_shows_its_campaign_s_first_picture(client, cooperative):
    pictured = factories.CampaignFactory(cooperative=cooperative, status=Status.LIVE, title="Le potager")
    first, second = add_images(pictured, 2)
    CampaignImage.objects.filter(pk=first.pk).update(position=5)  # the second one comes first now
    factories.CampaignFactory(cooperative=cooperative, status=Status.LIVE, title="Sans photo")

    content = client.get(reverse("home")).content.decode()

    assert content.count("<img ") == 1
    assert f'src="/media/{second.thumbnail.name}" alt="{html.escape(second.alt_text)}"' in content


def test_the_department_filter_escapes_names_and_keeps_the_choice(client, cooperative):
    ad = cooperative.ad
    ad.name = 'Deux-Sèvres <b>"&"</b>'
    ad.save()

    content = client.get(reverse("home"), {"departement": ad.number}).content.decode()

    assert f'<option value="{ad.number}" selected>{ad.number} – Deux-Sèvres &lt;b&gt;&quot;&amp;&quot;&lt;/b&gt;</option>' in content
    assert '<option value="">Tous les départements</option>' in content
