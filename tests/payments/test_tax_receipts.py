"""Tax receipts: who gets one, gapless numbers, cancel and reissue, annual receipts, year end."""

import csv
import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone, translation

from tests import factories
from trousse.campaigns.models import Status
from trousse.exceptions import ApplicationError
from trousse.payments.models import DonationStatus, DonorType, PaymentMethod, TaxReceipt, TaxReceiptForm, TaxReceiptStatus
from trousse.payments.receipt_tasks import tax_receipt_sync_for_donation
from trousse.payments.tax_receipts import (
    counterpart_is_acceptable,
    donation_is_receipt_eligible,
    donation_receipt_refusal,
    tax_receipt_cancel,
    tax_receipt_from_token,
    tax_receipt_issue,
    tax_receipt_issue_annual,
    tax_receipt_sync,
    tax_receipt_token,
    tax_receipts_write_csv,
    tax_receipts_year_totals,
)

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 3, 14)


@pytest.fixture
def campaign(cooperative, teacher):
    # Receipts wait for the campaign's success (all-or-nothing): most tests start there.
    return factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.SUCCEEDED)


def paid(campaign, **fields):
    fields.setdefault("status", DonationStatus.SUCCEEDED)
    fields.setdefault("succeeded_at", timezone.make_aware(datetime.datetime(2026, 3, 10, 15, 30)))
    return factories.DonationFactory(campaign=campaign, **fields)


def active_receipts(donation):
    return list(donation.tax_receipts.filter(status=TaxReceiptStatus.ISSUED))


# --- eligibility ---------------------------------------------------------------------------------


def test_an_individual_gift_with_an_address_is_eligible_on_the_individual_form(campaign):
    donation = paid(campaign)
    assert donation_is_receipt_eligible(donation)
    receipt = tax_receipt_issue(donation=donation, today=TODAY)
    assert receipt.form == TaxReceiptForm.INDIVIDUAL
    assert receipt.amount_cents == 5_000
    assert receipt.donor_address == f"{donation.address_line}\n79000 Niort"


def test_a_business_gift_uses_the_business_form_and_keeps_its_identity(campaign):
    donation = paid(campaign, donor_type=DonorType.BUSINESS, company_name="Boulangerie du Marais", siret="73282932000074")
    receipt = tax_receipt_issue(donation=donation, today=TODAY)
    assert receipt.form == TaxReceiptForm.BUSINESS
    assert receipt.company_name == "Boulangerie du Marais"
    assert receipt.siret == "73282932000074"


def test_a_parent_of_a_pupil_gets_no_receipt(campaign):
    donation = paid(campaign, is_parent_of_pupil=True)
    assert not donation_is_receipt_eligible(donation)
    assert "parent" in donation_receipt_refusal(donation)
    with pytest.raises(ApplicationError):
        tax_receipt_issue(donation=donation, today=TODAY)
    assert tax_receipt_sync(donation_id=donation.pk, today=TODAY).issued == ()
    assert TaxReceipt.objects.count() == 0


@pytest.mark.parametrize(
    ("gift", "counterpart", "acceptable"),
    [
        (10_000, 0, True),
        (10_000, 2_500, True),  # exactly 25 %
        (10_000, 2_501, False),  # above 25 %
        (40_000, 7_300, True),  # 73 €, under 25 %
        (40_000, 7_301, False),  # above 73 € even though under 25 %
    ],
)
def test_counterpart_limits(gift, counterpart, acceptable):
    assert counterpart_is_acceptable(gift_cents=gift, counterpart_cents=counterpart) is acceptable


def test_a_gift_with_a_disproportionate_counterpart_gets_no_receipt(campaign):
    donation = paid(campaign, amount_cents=10_000, counterpart_cents=3_000)
    assert "contrepartie" in donation_receipt_refusal(donation).lower()


def test_a_small_counterpart_keeps_the_receipt(campaign):
    donation = paid(campaign, amount_cents=10_000, counterpart_cents=1_000)
    assert donation_receipt_refusal(donation) is None


@pytest.mark.parametrize("missing", ["address_line", "postal_code", "city"])
def test_no_postal_address_no_receipt(campaign, missing):
    donation = paid(campaign, **{missing: ""})
    assert "adresse" in donation_receipt_refusal(donation)


def test_no_receipt_unless_asked_nor_for_a_business_without_its_name(campaign):
    assert not donation_is_receipt_eligible(paid(campaign, wants_tax_receipt=False))
    assert not donation_is_receipt_eligible(paid(campaign, donor_type=DonorType.BUSINESS, company_name=""))


@pytest.mark.parametrize("status", [DonationStatus.PENDING, DonationStatus.PROCESSING, DonationStatus.FAILED, DonationStatus.REFUNDED, DonationStatus.DISPUTED])
def test_only_money_received_gets_a_receipt(campaign, status):
    # A SEPA debit is "processing" for days: no receipt before it succeeds.
    donation = paid(campaign, status=status, method=PaymentMethod.SEPA_DEBIT, refunded_cents=5_000 if status == DonationStatus.REFUNDED else 0)
    assert tax_receipt_sync(donation_id=donation.pk, today=TODAY).issued == ()


def test_a_sepa_gift_gets_its_receipt_once_it_succeeded(campaign):
    donation = paid(campaign, status=DonationStatus.PROCESSING, method=PaymentMethod.SEPA_DEBIT, succeeded_at=None)
    assert tax_receipt_sync(donation_id=donation.pk, today=TODAY).issued == ()
    donation.status = DonationStatus.SUCCEEDED
    donation.succeeded_at = timezone.now()
    donation.save()
    (number,) = tax_receipt_sync(donation_id=donation.pk, today=TODAY).issued
    assert TaxReceipt.objects.get(number=number).payment_form == "Prélèvement SEPA"


# --- numbering -----------------------------------------------------------------------------------


def test_numbers_follow_each_other_per_ad_and_year(campaign, other_ad):
    other_campaign = factories.CampaignFactory(cooperative=factories.CooperativeFactory(ad=other_ad), status=Status.SUCCEEDED)
    numbers = [tax_receipt_issue(donation=paid(campaign), today=TODAY).number for _ in range(3)]
    numbers.append(tax_receipt_issue(donation=paid(other_campaign), today=TODAY).number)
    numbers.append(tax_receipt_issue(donation=paid(campaign), today=datetime.date(2027, 1, 2)).number)
    assert numbers == ["79-2026-000001", "79-2026-000002", "79-2026-000003", "84-2026-000001", "79-2027-000001"]


def test_a_failed_issue_gives_its_number_back(campaign, monkeypatch):
    from trousse.payments import tax_receipts

    first = tax_receipt_issue(donation=paid(campaign), today=TODAY)

    def broken(*args, **kwargs):
        raise RuntimeError("crash after the number was taken")

    monkeypatch.setattr(tax_receipts, "_schedule_delivery", broken)
    with pytest.raises(RuntimeError):
        tax_receipt_issue(donation=paid(campaign), today=TODAY)
    monkeypatch.undo()
    third = tax_receipt_issue(donation=paid(campaign), today=TODAY)
    assert (first.sequence, third.sequence) == (1, 2)


def test_a_donation_never_gets_two_active_receipts(campaign):
    donation = paid(campaign)
    tax_receipt_issue(donation=donation, today=TODAY)
    with pytest.raises(ApplicationError) as refused:
        tax_receipt_issue(donation=donation, today=TODAY)
    assert refused.value.status_code == 409
    # The sync is idempotent: as many runs as status changes, one receipt.
    for _ in range(3):
        tax_receipt_sync_for_donation(donation.pk)
    assert len(active_receipts(donation)) == 1


# --- issue, e-mail, PDF --------------------------------------------------------------------------


def test_the_sync_issues_renders_and_emails_the_receipt_after_commit(campaign, django_capture_on_commit_callbacks):
    donation = paid(campaign)
    with django_capture_on_commit_callbacks(execute=True):
        tax_receipt_sync_for_donation(donation.pk)
    receipt = TaxReceipt.objects.get()
    assert receipt.pdf.name.endswith(f"{receipt.number}.pdf")
    assert receipt.pdf.open("rb").read().startswith(b"%PDF-")
    assert receipt.emailed_at is not None
    (message,) = mail.outbox
    assert message.to == [donation.email]
    assert receipt.number in message.subject
    (attachment,) = message.attachments
    assert attachment[0] == f"recu-fiscal-{receipt.number}.pdf"
    assert attachment[1].startswith(b"%PDF-")
    assert "/recus/" in message.body
    # A second delivery (a retried task) sends nothing more.
    from trousse.payments.receipt_tasks import tax_receipt_deliver

    tax_receipt_deliver(receipt.pk)
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("language", "subject", "words", "not_there"),
    [
        ("fr", "Votre reçu fiscal n°", ("Bonjour", "Merci pour votre don !", "Conservez-le"), ("Hello", "Thank you", "Keep it")),
        ("en", "Your tax receipt no.", ("Hello", "Thank you for your donation!", "Keep it"), ("Bonjour", "Merci", "Conservez")),
    ],
)
def test_the_receipt_e_mail_is_in_the_donors_language(campaign, django_capture_on_commit_callbacks, language, subject, words, not_there):
    donation = paid(campaign, language=language)
    # The worker's own language is the other one: the donor's counts.
    with translation.override("en" if language == "fr" else "fr"), django_capture_on_commit_callbacks(execute=True):
        tax_receipt_sync_for_donation(donation.pk)
    (message,) = mail.outbox
    assert message.subject.startswith(subject)
    assert all(word in message.body for word in words), message.body
    assert not any(word in message.subject + message.body for word in not_there), message.body


@pytest.mark.parametrize(("language", "subject"), [("fr", "Annulation de votre reçu fiscal n°"), ("en", "Cancellation of your tax receipt no.")])
def test_the_cancellation_e_mail_is_in_the_donors_language(campaign, django_capture_on_commit_callbacks, language, subject):
    donation = paid(campaign, language=language)
    with django_capture_on_commit_callbacks(execute=True):
        tax_receipt_sync_for_donation(donation.pk)
    donation.status, donation.refunded_cents = DonationStatus.REFUNDED, donation.amount_cents
    donation.save()
    mail.outbox.clear()
    with translation.override("en" if language == "fr" else "fr"), django_capture_on_commit_callbacks(execute=True):
        tax_receipt_sync_for_donation(donation.pk)
    (message,) = mail.outbox
    assert message.subject.startswith(subject)
    assert ("Bonjour" in message.body) is (language == "fr") and ("Hello" in message.body) is (language == "en")


def test_a_rendering_failure_leaves_the_receipt_numbered_and_renderable_later(campaign, django_capture_on_commit_callbacks, monkeypatch):
    from trousse.payments import receipt_pdf

    def broken(receipt, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(receipt_pdf, "render_tax_receipt_pdf", broken)
    donation = paid(campaign)
    with django_capture_on_commit_callbacks(execute=True):
        tax_receipt_sync_for_donation(donation.pk)
    receipt = TaxReceipt.objects.get()
    assert receipt.number == "79-%d-000001" % timezone.localdate().year
    assert not receipt.pdf and receipt.emailed_at is None and mail.outbox == []
    monkeypatch.undo()
    call_command("tax_receipts_year_end", ad="79", year=receipt.year, verbosity=0)
    receipt.refresh_from_db()
    assert receipt.pdf


def test_donor_details_are_frozen_at_issue(campaign):
    donation = paid(campaign, first_name="Lucie", last_name="Martin")
    receipt = tax_receipt_issue(donation=donation, today=TODAY)
    donation.last_name = "Durand"
    donation.save()
    receipt.refresh_from_db()
    assert receipt.donor_name == "Lucie Martin"
    assert receipt.president_name == campaign.cooperative.ad.president_name


# --- refunds and disputes ------------------------------------------------------------------------


def test_a_refund_cancels_the_receipt_which_is_kept(campaign, django_capture_on_commit_callbacks):
    donation = paid(campaign)
    with django_capture_on_commit_callbacks(execute=True):
        tax_receipt_sync_for_donation(donation.pk)
    receipt = TaxReceipt.objects.get()
    donation.status, donation.refunded_cents = DonationStatus.REFUNDED, donation.amount_cents
    donation.save()
    with django_capture_on_commit_callbacks(execute=True):
        result = tax_receipt_sync_for_donation(donation.pk)
    assert result == {"issued": [], "cancelled": [receipt.number]}
    receipt.refresh_from_db()
    assert receipt.status == TaxReceiptStatus.CANCELLED
    assert receipt.cancelled_at is not None and receipt.cancel_reason == "Don remboursé"
    assert TaxReceipt.objects.count() == 1  # never deleted, never renumbered
    assert "Annulation" in mail.outbox[-1].subject
    # Running it again changes nothing.
    assert tax_receipt_sync_for_donation(donation.pk) == {"issued": [], "cancelled": []}


def test_a_partial_refund_reissues_a_receipt_for_the_net_amount(campaign):
    donation = paid(campaign, amount_cents=10_000)
    first = tax_receipt_issue(donation=donation, today=TODAY)
    donation.status, donation.refunded_cents = DonationStatus.PARTIALLY_REFUNDED, 3_000
    donation.save()
    result = tax_receipt_sync(donation_id=donation.pk, today=TODAY)
    assert result.cancelled == (first.number,)
    (new,) = active_receipts(donation)
    assert new.number == result.issued[0] == "79-2026-000002"
    assert new.amount_cents == 7_000
    first.refresh_from_db()
    assert first.status == TaxReceiptStatus.CANCELLED and first.amount_cents == 10_000
    assert tax_receipt_sync(donation_id=donation.pk, today=TODAY) == type(result)()


def test_a_dispute_cancels_and_a_won_dispute_issues_again(campaign):
    donation = paid(campaign)
    first = tax_receipt_issue(donation=donation, today=TODAY)
    donation.status = DonationStatus.DISPUTED
    donation.save()
    assert tax_receipt_sync(donation_id=donation.pk, today=TODAY).cancelled == (first.number,)
    donation.status = DonationStatus.SUCCEEDED
    donation.save()
    assert tax_receipt_sync(donation_id=donation.pk, today=TODAY).issued == ("79-2026-000002",)


def test_a_treasurer_may_cancel_a_receipt_of_their_ad_only(campaign, treasurer, other_ad):
    receipt = tax_receipt_issue(donation=paid(campaign), today=TODAY)
    with pytest.raises(ApplicationError):
        tax_receipt_cancel(receipt=receipt, reason="erreur", actor=factories.treasurer_of(other_ad))
    tax_receipt_cancel(receipt=receipt, reason="Erreur de saisie", actor=treasurer)
    receipt.refresh_from_db()
    assert receipt.status == TaxReceiptStatus.CANCELLED


# --- annual receipts -----------------------------------------------------------------------------


def test_annual_receipt_covers_the_donors_gifts_without_receipt_never_twice(campaign, treasurer):
    email = "claire@example.org"
    with_receipt = paid(campaign, email=email, amount_cents=2_000)
    tax_receipt_issue(donation=with_receipt, today=TODAY)
    # Gifts without a receipt: the donor did not ask at the time, and asks now.
    a = paid(campaign, email=email, amount_cents=1_500, wants_tax_receipt=False)
    b = paid(campaign, email="Claire@Example.org", amount_cents=2_500, wants_tax_receipt=False, method=PaymentMethod.SEPA_DEBIT)
    paid(campaign, email=email, wants_tax_receipt=False, succeeded_at=timezone.make_aware(datetime.datetime(2025, 12, 20)))  # another year
    paid(campaign, email=email, wants_tax_receipt=False, is_parent_of_pupil=True)  # not a gift
    paid(campaign, email="autre@example.org", wants_tax_receipt=False)  # another donor

    receipt = tax_receipt_issue_annual(actor=treasurer, ad=campaign.cooperative.ad, donor_email=email, year=2026, today=TODAY)
    assert receipt.is_annual
    assert set(receipt.donations.all()) == {a, b}
    assert receipt.amount_cents == 4_000
    assert receipt.payment_form == "Carte bancaire et Prélèvement SEPA"
    with pytest.raises(ApplicationError):
        tax_receipt_issue_annual(actor=treasurer, ad=campaign.cooperative.ad, donor_email=email, year=2026, today=TODAY)
    for donation in (with_receipt, a, b):
        assert len(active_receipts(donation)) == 1


def test_annual_receipt_only_by_the_ads_treasurer(campaign, animator, other_ad):
    paid(campaign, email="x@example.org", wants_tax_receipt=False)
    for actor in (animator, factories.treasurer_of(other_ad)):
        with pytest.raises(ApplicationError) as refused:
            tax_receipt_issue_annual(actor=actor, ad=campaign.cooperative.ad, donor_email="x@example.org", year=2026, today=TODAY)
        assert refused.value.status_code == 403
    admin = factories.federation_admin()
    assert tax_receipt_issue_annual(actor=admin, ad=campaign.cooperative.ad, donor_email="x@example.org", year=2026, today=TODAY).is_annual


def test_annual_receipt_refuses_mixed_individual_and_business_gifts_unless_told(campaign, treasurer):
    email = "gerant@example.org"
    paid(campaign, email=email, wants_tax_receipt=False)
    business = paid(campaign, email=email, wants_tax_receipt=False, donor_type=DonorType.BUSINESS, company_name="Garage Martin")
    with pytest.raises(ApplicationError):
        tax_receipt_issue_annual(actor=treasurer, ad=campaign.cooperative.ad, donor_email=email, year=2026, today=TODAY)
    receipt = tax_receipt_issue_annual(actor=treasurer, ad=campaign.cooperative.ad, donor_email=email, year=2026, donor_type=DonorType.BUSINESS, today=TODAY)
    assert list(receipt.donations.all()) == [business] and receipt.form == TaxReceiptForm.BUSINESS


def test_a_refund_inside_an_annual_receipt_reissues_it_for_the_rest(campaign, treasurer):
    email = "paul@example.org"
    a = paid(campaign, email=email, amount_cents=1_000, wants_tax_receipt=False)
    b = paid(campaign, email=email, amount_cents=3_000, wants_tax_receipt=False)
    annual = tax_receipt_issue_annual(actor=treasurer, ad=campaign.cooperative.ad, donor_email=email, year=2026, today=TODAY)
    a.status, a.refunded_cents = DonationStatus.REFUNDED, 1_000
    a.save()
    result = tax_receipt_sync(donation_id=a.pk, today=TODAY)
    assert result.cancelled == (annual.number,)
    (new,) = active_receipts(b)
    assert new.is_annual and new.amount_cents == 3_000 and list(new.donations.all()) == [b]
    assert active_receipts(a) == []


@pytest.mark.parametrize(("languages", "subject"), [(("fr", "en"), "Your tax receipt no."), (("en", "fr"), "Votre reçu fiscal n°")])
def test_an_annual_receipt_is_e_mailed_in_the_language_of_the_latest_gift(campaign, treasurer, django_capture_on_commit_callbacks, languages, subject):
    email = "jane@example.org"
    earlier, latest = languages
    # Rows written out of the gifts' order: the gift's date decides, neither the first nor the last row.
    for language, day in ((earlier, datetime.datetime(2026, 2, 15, 9, 0)), (latest, datetime.datetime(2026, 3, 12, 9, 0)), (earlier, datetime.datetime(2026, 2, 1, 9, 0))):
        paid(campaign, email=email, wants_tax_receipt=False, language=language, succeeded_at=timezone.make_aware(day))
    with django_capture_on_commit_callbacks(execute=True):
        receipt = tax_receipt_issue_annual(actor=treasurer, ad=campaign.cooperative.ad, donor_email=email, year=2026, today=TODAY)
    (message,) = mail.outbox
    assert message.subject == f"{subject} {receipt.number}"


# --- year end ------------------------------------------------------------------------------------


@pytest.fixture
def year_of_receipts(campaign):
    receipts = [tax_receipt_issue(donation=paid(campaign, amount_cents=amount), today=TODAY) for amount in (5_000, 12_050, 2_000)]
    business = paid(campaign, amount_cents=100_000, donor_type=DonorType.BUSINESS, company_name="Coop Bio; Niort", siret="73282932000074")
    receipts.append(tax_receipt_issue(donation=business, today=TODAY))
    tax_receipt_cancel(receipt=receipts[2], reason="Don remboursé")
    tax_receipt_issue(donation=paid(campaign), today=datetime.date(2027, 1, 5))  # next year: not counted
    return receipts


def test_year_totals_count_receipts_issued_and_leave_cancelled_ones_apart(campaign, year_of_receipts):
    totals = tax_receipts_year_totals(ad=campaign.cooperative.ad, year=2026)
    assert (totals.issued_count, totals.issued_amount_cents) == (3, 117_050)
    assert (totals.cancelled_count, totals.cancelled_amount_cents) == (1, 2_000)
    assert (totals.individual_count, totals.individual_amount_cents, totals.business_count, totals.business_amount_cents) == (2, 17_050, 1, 100_000)


def test_csv_lists_every_receipt_of_the_year_then_the_totals(campaign, year_of_receipts):
    out = io.StringIO()
    tax_receipts_write_csv(ad=campaign.cooperative.ad, year=2026, out=out)
    rows = list(csv.reader(io.StringIO(out.getvalue()), delimiter=";"))
    header, body = rows[0], rows[1:5]
    assert header[:5] == ["numero", "date_emission", "annuel", "formulaire", "donateur"]
    assert [row[0] for row in body] == ["79-2026-000001", "79-2026-000002", "79-2026-000003", "79-2026-000004"]
    assert [row[header.index("montant")] for row in body] == ["50,00", "120,50", "20,00", "1000,00"]
    assert [row[header.index("statut")] for row in body] == ["emis", "emis", "annule", "emis"]
    assert body[3][header.index("raison_sociale")] == "Coop Bio; Niort"  # quoted, not split
    assert ["total_recus_emis", "3"] == rows[-2][:2] and rows[-2][-1] == "1170,50"
    assert ["total_recus_annules", "1"] == rows[-1][:2] and rows[-1][-1] == "20,00"


def test_year_end_command_writes_the_csv_and_prints_the_totals(campaign, year_of_receipts, tmp_path, capsys):
    path = tmp_path / "recus.csv"
    out = io.StringIO()
    call_command("tax_receipts_year_end", ad="79", year=2026, csv_path=str(path), no_render=True, stdout=out)
    text = path.read_text(encoding="utf-8-sig")
    assert text.startswith("numero;") and "79-2026-000004" in text and "79-2027" not in text
    assert "reçus émis : 3" in out.getvalue()
    assert "1\u202f170,50" in out.getvalue()


def test_year_end_command_refuses_an_unknown_ad(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("tax_receipts_year_end", ad="99", year=2026)


# --- signed link ---------------------------------------------------------------------------------


def test_signed_token_round_trip_and_tampering(campaign):
    from django.http import Http404

    receipt = tax_receipt_issue(donation=paid(campaign), today=TODAY)
    token = tax_receipt_token(receipt)
    assert tax_receipt_from_token(token) == receipt
    number, _, signature = token.partition(":")
    for bad in (f"79-2026-000002:{signature}", token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "79-2026-000001", ""):
        with pytest.raises(Http404):
            tax_receipt_from_token(bad)


# --- wired to the payments services --------------------------------------------------------------


def test_the_payments_services_drive_issue_and_reissue(campaign, django_capture_on_commit_callbacks):
    from trousse.payments import services

    donation = factories.DonationFactory(campaign=campaign, status=DonationStatus.PENDING, amount_cents=10_000)
    with django_capture_on_commit_callbacks(execute=True):
        services.donation_transition(donation_id=donation.pk, to_status=DonationStatus.SUCCEEDED, source="test")
    (first,) = active_receipts(donation)
    assert first.amount_cents == 10_000 and first.emailed_at is not None
    assert any(first.number in message.subject for message in mail.outbox)

    with django_capture_on_commit_callbacks(execute=True):
        services.donation_apply_external_refund(donation_id=donation.pk, refunded_total_cents=4_000)
    first.refresh_from_db()
    assert first.status == TaxReceiptStatus.CANCELLED
    (second,) = active_receipts(donation)
    assert second.amount_cents == 6_000 and second.sequence == first.sequence + 1


# --- receipts wait for the campaign's success ----------------------------------------------------


def test_no_receipt_while_the_campaign_is_live(live_campaign, treasurer):
    donation = paid(live_campaign, email="lea@example.org")
    assert "objectif minimum" in donation_receipt_refusal(donation)
    assert tax_receipt_sync_for_donation(donation.pk) == {"issued": [], "cancelled": []}
    with pytest.raises(ApplicationError):
        tax_receipt_issue(donation=donation, today=TODAY)
    # Nor through the annual receipt: the gift may still be refunded.
    with pytest.raises(ApplicationError) as refused:
        tax_receipt_issue_annual(actor=treasurer, ad=live_campaign.cooperative.ad, donor_email="lea@example.org", year=2026, today=TODAY)
    assert "objectif minimum" in refused.value.message
    assert TaxReceipt.objects.count() == 0


@pytest.mark.parametrize("status", [Status.SUCCEEDED, Status.FUNDED, Status.CLOSED])
def test_a_campaign_that_succeeded_gives_receipts_until_it_closes(cooperative, status):
    donation = paid(factories.CampaignFactory(cooperative=cooperative, status=status))
    assert len(tax_receipt_sync(donation_id=donation.pk, today=TODAY).issued) == 1


# --- after the donor's data erasure --------------------------------------------------------------


def erase(email):
    from trousse.privacy.services import donor_data_erase

    donor_data_erase(email=email)


def test_after_erasure_a_partial_refund_reissues_under_the_frozen_identity_and_writes_to_nobody(campaign, django_capture_on_commit_callbacks):
    donation = paid(campaign, amount_cents=10_000, first_name="Lucie", last_name="Martin", address_line="3 rue des Écoles", email="lucie@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        tax_receipt_sync_for_donation(donation.pk)
    first = TaxReceipt.objects.get()
    assert mail.outbox[-1].to == ["lucie@example.org"]
    erase("lucie@example.org")
    mail.outbox.clear()

    donation.refresh_from_db()
    donation.status, donation.refunded_cents = DonationStatus.PARTIALLY_REFUNDED, 3_000
    donation.save()
    with django_capture_on_commit_callbacks(execute=True):
        result = tax_receipt_sync_for_donation(donation.pk)

    assert result["cancelled"] == [first.number] and len(result["issued"]) == 1
    (new,) = active_receipts(donation)
    assert new.amount_cents == 7_000
    assert (new.donor_name, new.donor_address, new.form) == ("Lucie Martin", "3 rue des Écoles\n79000 Niort", first.form)
    # Issued and downloadable, but neither the cancellation nor the new receipt is e-mailed.
    assert mail.outbox == []
    new.refresh_from_db()
    assert new.pdf and new.emailed_at is None
    assert "lucie@example.org" not in new.donor_email


def test_after_erasure_a_won_dispute_issues_again_for_the_business_it_named(campaign):
    donation = paid(campaign, donor_type=DonorType.BUSINESS, company_name="Boulangerie du Marais", siret="73282932000074", email="gerant@example.org")
    first = tax_receipt_issue(donation=donation, today=TODAY)
    donation.status = DonationStatus.DISPUTED
    donation.save()
    assert tax_receipt_sync(donation_id=donation.pk, today=TODAY).cancelled == (first.number,)
    erase("gerant@example.org")

    donation.refresh_from_db()
    assert donation.company_name == "" and donation.address_line == ""
    donation.status = DonationStatus.SUCCEEDED
    donation.save()
    (number,) = tax_receipt_sync(donation_id=donation.pk, today=TODAY).issued

    new = TaxReceipt.objects.get(number=number)
    assert (new.form, new.company_name, new.siret, new.donor_address) == (TaxReceiptForm.BUSINESS, "Boulangerie du Marais", "73282932000074", first.donor_address)


def test_a_donor_erased_before_any_receipt_gets_none(campaign):
    # We no longer know whom to name: the law needs a name and an address.
    donation = paid(campaign, email="oubli@example.org")
    erase("oubli@example.org")
    assert tax_receipt_sync(donation_id=donation.pk, today=TODAY).issued == ()
