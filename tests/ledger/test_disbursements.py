import glob
import os

import pytest
import xmlschema
from django.core.exceptions import PermissionDenied

from tests import factories
from trousse.campaigns.models import Status
from trousse.exceptions import ApplicationError, ConflictError
from trousse.ledger import exports, selectors, services
from trousse.ledger.models import BatchStatus

from .helpers import assert_ledger_ok, succeeded_campaign

SCHEMA = glob.glob(os.path.join(os.path.dirname(__import__("sepaxml").__file__), "schemas", "pain.001.001.03.xsd"))[0]


def _batch(treasurer, ad, *pairs):
    return services.disbursement_batch_create(actor=treasurer, ad=ad, requests=[services.DisbursementRequest(campaign=c, amount_cents=a) for c, a in pairs])


def test_pain001_validates_against_the_official_xsd(ad, cooperative, other_cooperative, treasurer):
    first = succeeded_campaign(cooperative, title="Une école qui chante à Noël")
    second = succeeded_campaign(other_cooperative, raised_cents=50_050)
    batch = _batch(treasurer, ad, (first, 110_000), (second, 50_050))
    schema = xmlschema.XMLSchema(SCHEMA)
    schema.validate(batch.sepa_xml)
    document = schema.to_dict(batch.sepa_xml)
    header = document["CstmrCdtTrfInitn"]["GrpHdr"]
    assert header["NbOfTxs"] == "2" and str(header["CtrlSum"]) == "1600.50"
    payment = document["CstmrCdtTrfInitn"]["PmtInf"][0]
    assert payment["DbtrAcct"]["Id"]["IBAN"] == ad.iban
    assert {tx["CdtrAcct"]["Id"]["IBAN"] for tx in payment["CdtTrfTxInf"]} == {cooperative.iban, other_cooperative.iban}
    assert batch.total_cents == 160_050
    summary = exports.batch_summary_csv(batch).decode("utf-8-sig")
    assert "1600,50" in summary and "1100,00" in summary
    assert exports.batch_summary_pdf(batch).startswith(b"%PDF")


def test_a_batch_never_pays_more_than_the_balance_nor_twice(ad, cooperative, treasurer):
    campaign = succeeded_campaign(cooperative)
    with pytest.raises(ApplicationError, match="ne contient que"):
        _batch(treasurer, ad, (campaign, 110_001))
    batch = _batch(treasurer, ad, (campaign, 40_000))
    with pytest.raises(ConflictError):
        _batch(treasurer, ad, (campaign, 10_000))
    # Cancelling frees the campaign for another batch.
    services.disbursement_batch_cancel(actor=treasurer, batch=batch)
    batch = _batch(treasurer, ad, (campaign, 40_000))
    services.disbursement_batch_execute(actor=treasurer, batch=batch)
    with pytest.raises(ConflictError):
        services.disbursement_batch_execute(actor=treasurer, batch=batch)
    with pytest.raises(ConflictError):
        services.disbursement_batch_cancel(actor=treasurer, batch=batch)
    with pytest.raises(ApplicationError):
        _batch(treasurer, ad, (campaign, 70_001))
    assert selectors.campaign_money(campaign=campaign).fund_cents == 70_000
    assert_ledger_ok()


def test_only_succeeded_campaigns_of_the_treasurers_ad(ad, other_ad, cooperative, treasurer, mandataire):
    live = factories.CampaignFactory(cooperative=cooperative, status=Status.LIVE)
    with pytest.raises(ConflictError):
        _batch(treasurer, ad, (live, 100))
    elsewhere = succeeded_campaign(factories.CooperativeFactory(ad=other_ad))
    with pytest.raises(ApplicationError):
        _batch(treasurer, ad, (elsewhere, 100))
    with pytest.raises(PermissionDenied):
        _batch(mandataire, ad, (succeeded_campaign(cooperative), 100))


def test_execution_refuses_a_fund_emptied_meanwhile(ad, cooperative, treasurer):
    from .helpers import refund

    campaign = succeeded_campaign(cooperative)
    donation = campaign.donations.first()
    batch = _batch(treasurer, ad, (campaign, 110_000))
    refund(donation, 10_000)
    with pytest.raises(ConflictError):
        services.disbursement_batch_execute(actor=treasurer, batch=batch)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PREPARED
    assert selectors.campaign_money(campaign=campaign).disbursed_cents == 0
